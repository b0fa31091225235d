/**
 * The engine's end of Heartbeat's FIFO (/var/lib/heartbeat/fifo): scripts written for Heartbeat (its own
 * hb_standby and hb_takeover among them) keep working against halo. Apart from control.ts, so the
 * commands, which only write the FIFO, do not load the wire codec.
 */
import { constants, openSync, statSync } from 'node:fs'
import { Socket } from 'node:net'
import { runOk } from '../lib/exec.ts'
import { HaloError } from '../lib/errors.ts'
import { decode } from './wire/codec.ts'
import type { Message } from './wire/message.ts'

/**
 * The engine's end of Heartbeat's FIFO, created (mode 600) when missing. Opened read-write and
 * non-blocking: it never sees end-of-file when a writer leaves, and reading it ties up no thread.
 */
export async function openFifo(fifo: string): Promise<Socket> {
  try {
    if (!statSync(fifo).isFIFO()) throw new HaloError(1, `${fifo} exists and is not a FIFO; remove it`)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    await runOk(['mkfifo', '-m', '600', fifo])
  }
  return new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false })
}

/**
 * Reads the classic-form messages (`>>>` … `<<<`) that Heartbeat's hb_standby and hb_takeover scripts
 * write into the FIFO; a message that cannot be read is reported and skipped.
 */
export function readFifo(fifo: Socket, onMessage: (m: Message) => void, onTrouble: (why: string) => void): void {
  let buf = ''
  fifo.on('error', (e) => onTrouble(e.message))
  fifo.on('data', (d) => {
    buf += d.toString('latin1')
    let end: number
    while ((end = buf.indexOf('<<<\n')) >= 0) {
      const start = buf.lastIndexOf('>>>\n', end)
      const text = start >= 0 ? buf.slice(start, end + 4) : ''
      buf = buf.slice(end + 4)
      const decoded = decode(Buffer.from(text, 'latin1'))
      if (decoded instanceof Error) onTrouble(`unreadable message: ${decoded.message}`)
      else onMessage(decoded.message)
    }
  })
}
