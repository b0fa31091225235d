/**
 * The running server as the agent sees it from outside: is that pid a MySQL/MariaDB server, does it greet
 * a client on its socket, and what did it last write in its error log.
 */
import { basename } from 'node:path'
import type { Socket } from 'node:net'
import { errorPacketText, isErrorPacket } from '../../lib/mysql.ts'
import { connect, type ConnectResult } from '../../lib/tcp.ts'

export interface Greeting {
  connect: ConnectResult
  /** the server's version from its greeting */
  version?: string
  /** an error packet instead of a greeting (too many connections…): the server runs but turns clients away */
  refusal?: string
}

/**
 * Connects to the socket and reads the server's first packet. Only a running server's connection thread
 * sends it, so this proves more than a listening socket (which the kernel answers for a hung server too),
 * and costs no client program and no login.
 */
export async function greet(socket: string, timeoutMs: number): Promise<Greeting> {
  const g: Partial<Greeting> = {}
  g.connect = await connect({ path: socket }, timeoutMs, (s) => readGreeting(s, g))
  return g as Greeting
}

function readGreeting(s: Socket, g: Partial<Greeting>): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    s.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b])
      if (buf.length < 4 || buf.length < 4 + buf.readUIntLE(0, 3)) return
      const payload = buf.subarray(4, 4 + buf.readUIntLE(0, 3))
      if (payload[0] === 10) g.version = payload.subarray(1, payload.indexOf(0, 1)).toString('latin1')
      else if (isErrorPacket(payload)) g.refusal = errorPacketText(payload)
      else return reject(new Error(`not a MySQL greeting (first byte ${payload[0]})`))
      resolve()
    })
    s.once('end', () => reject(new Error('the server closed the connection without a greeting')))
  })
}

/**
 * Whether a process's argv is a MySQL/MariaDB server's (not a recycled pid), on `datadir` when its command
 * line says. The pid file names mysqld itself, also when mysqld_safe started it.
 */
export function isServer(argv: readonly string[], datadir: string, binary: string): boolean {
  if (!argv.length) return false
  const name = basename(argv[0])
  if (!['mysqld', 'mariadbd', basename(binary)].includes(name) || name.includes('safe')) return false
  const dir = argv.find((a) => a.startsWith('--datadir='))?.slice('--datadir='.length)
  return dir === undefined || dir.replace(/\/+$/, '') === datadir.replace(/\/+$/, '')
}
