/**
 * The fuzz tests' way in: one long-lived UDP sender inside a node's namespace (a process per packet would
 * spend the time budget on starting node), and raw lines at a unix socket.
 */
import { createConnection } from 'node:net'
import { childProcess } from '../../lib/exec.ts'
import { atEnd, type Scope } from '../harness/cleanup.ts'
import { inNetns } from '../harness/netns.ts'

/** Sends each `p<hex>` line of stdin to udp/694 of argv's address (`p` alone: an empty datagram); answers an empty line with `sent` once all before it left. */
const SENDER = `const s = require('node:dgram').createSocket('udp4')
const host = process.argv[1]
let buf = ''
let queue = Promise.resolve()
process.stdin.setEncoding('latin1')
process.stdin.on('data', (d) => {
  buf += d
  let nl
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, nl)
    buf = buf.slice(nl + 1)
    if (line === '') queue = queue.then(() => process.stdout.write('sent\\n'))
    else queue = queue.then(() => new Promise((done) => s.send(Buffer.from(line.slice(1), 'hex'), 694, host, () => done())))
  }
})
process.stdin.on('end', () => queue.then(() => s.close()))`

export interface UdpSender {
  /** resolves once every packet has been handed to the kernel */
  send(packets: readonly Buffer[]): Promise<void>
}

export function udpSender(t: Scope, netns: string, to: string): UdpSender {
  const argv = inNetns(netns, [process.execPath, '-e', SENDER, to])
  const child = childProcess().spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] })
  atEnd(t, ['kill', String(child.pid)])
  const waiting: (() => void)[] = []
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d
    let nl: number
    while ((nl = out.indexOf('\n')) >= 0) {
      out = out.slice(nl + 1)
      waiting.shift()?.()
    }
  })
  const gone = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the packet sender exited (${code})`))))
  gone.catch(() => {})
  return {
    send(packets) {
      const done = new Promise<void>((resolve) => waiting.push(resolve))
      child.stdin!.write(`${packets.map((p) => `p${p.toString('hex')}`).join('\n')}\n\n`)
      return Promise.race([done, gone])
    },
  }
}

/**
 * Writes `data` to a unix socket and collects what comes back until `answers` lines have come, the other
 * end closes, or `ms` pass; resolves with the lines.
 */
export function talk(socket: string, data: Buffer, answers: number, ms = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket)
    let got = ''
    const finish = () => {
      clearTimeout(timer)
      conn.destroy()
      resolve(got.split('\n').slice(0, -1))
    }
    const timer = setTimeout(finish, ms)
    conn.on('connect', () => conn.write(data))
    conn.on('data', (d) => {
      got += d.toString('latin1')
      if (got.split('\n').length - 1 >= answers) finish()
    })
    conn.on('close', finish)
    conn.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? finish() : reject(e)))
  })
}
