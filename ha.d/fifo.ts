/**
 * The engine's end of Heartbeat's FIFO (/var/lib/heartbeat/fifo): scripts written for Heartbeat (its own
 * hb_standby and hb_takeover among them) keep working against halo. Apart from control.ts, so the
 * commands, which only write the FIFO, do not load the wire codec.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs'
import { Socket } from 'node:net'
import { runOk } from '../lib/exec.ts'
import { HaloError } from '../lib/errors.ts'
import { decode } from './wire/codec.ts'
import type { Message } from './wire/message.ts'

const OPEN = constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW

/**
 * The engine's end of Heartbeat's FIFO, created (mode 600) when missing. Opened read-write and
 * non-blocking: it never sees end-of-file when a writer leaves, and reading it ties up no thread. What it
 * reads are orders (standby, takeover): a FIFO someone else owns or may write is refused, as is a link.
 */
export async function openFifo(fifo: string): Promise<Socket> {
  let fd: number
  try {
    fd = openSync(fifo, OPEN)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw new HaloError(1, `${fifo} is a symbolic link; remove it (the engine makes its FIFO itself)`)
    if (code !== 'ENOENT') throw e
    await runOk(['mkfifo', '-m', '600', fifo])
    fd = openSync(fifo, OPEN)
  }
  const st = fstatSync(fd)
  const wrong = !st.isFIFO()
    ? 'exists and is not a FIFO'
    : st.uid !== process.getuid!()
      ? `belongs to uid ${st.uid}, not to the engine's (${process.getuid!()})`
      : (st.mode & 0o077) !== 0
        ? `is mode ${(st.mode & 0o777).toString(8)}: others could order a standby or takeover through it`
        : ''
  if (wrong) {
    closeSync(fd)
    throw new HaloError(1, `${fifo} ${wrong}; remove it (the engine makes it again, mode 600)`)
  }
  return new Socket({ fd, readable: true, writable: false })
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
