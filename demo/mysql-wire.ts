/**
 * Just enough of the MySQL client protocol for the demo's client: log in with mysql_native_password,
 * run a statement, read its OK or its rows. In-process (no `mariadb` child per commit), so a commit and
 * its timeout are measured to the millisecond, which the failover figures need.
 */
import { createHash } from 'node:crypto'
import { connect as tcpConnect, type Socket } from 'node:net'
import { errorPacketText, isErrorPacket } from '../lib/mysql.ts'

export interface Login {
  host: string
  port: number
  user: string
  password: string
  database: string
}

const sha1 = (...parts: Buffer[]) => createHash('sha1').update(Buffer.concat(parts)).digest()
const NATIVE = 'mysql_native_password'

/** the scramble answer: SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw))) */
function scramble(password: string, salt: Buffer): Buffer {
  if (!password) return Buffer.alloc(0)
  const once = sha1(Buffer.from(password))
  const mix = sha1(salt, sha1(once))
  return Buffer.from(once.map((b, i) => b ^ mix[i]))
}

export class MysqlError extends Error {}

export class Connection {
  private buffer = Buffer.alloc(0)
  private waiting?: () => void
  private failure?: Error
  private seq = 0

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buffer = Buffer.concat([this.buffer, d])
      this.waiting?.()
    })
    const fail = (e: Error) => {
      this.failure ??= e
      this.waiting?.()
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new MysqlError('the server closed the connection')))
  }

  /** connects and logs in, or rejects within timeoutMs */
  static async open(login: Login, timeoutMs: number): Promise<Connection> {
    const socket = tcpConnect({ host: login.host, port: login.port })
    const conn = new Connection(socket)
    return conn.within(timeoutMs, async () => {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
      await conn.login(login)
      return conn
    })
  }

  close(): void {
    this.socket.destroy()
  }

  /** runs one statement; its rows (text values, null for NULL), empty for a statement without rows */
  query(sql: string, timeoutMs: number): Promise<(string | null)[][]> {
    return this.within(timeoutMs, async () => {
      this.seq = 0
      this.send(Buffer.concat([Buffer.from([3]), Buffer.from(sql)]))
      const first = await this.packet()
      if (first[0] === 0x00) return []
      const columns = first[0]
      for (let i = 0; i <= columns; i++) await this.packet() // definitions, then EOF
      const rows: (string | null)[][] = []
      for (let p = await this.packet(); !(p[0] === 0xfe && p.length < 9); p = await this.packet()) rows.push(readRow(p))
      return rows
    })
  }

  private async within<T>(ms: number, work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MysqlError(`no answer within ${ms} ms`)), ms)
    })
    try {
      return await Promise.race([work(), late])
    } catch (e) {
      this.close()
      throw e
    } finally {
      clearTimeout(timer)
    }
  }

  private async login(login: Login): Promise<void> {
    const hello = await this.packet()
    if (hello[0] !== 10) throw new MysqlError(`protocol ${hello[0]} is not MySQL 4.1+`)
    let at = hello.indexOf(0, 1) + 1 + 4 // server version, connection id
    const salt1 = hello.subarray(at, at + 8)
    at += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10 // filler, capabilities, charset, status, capabilities, length, reserved
    const salt = Buffer.concat([salt1, hello.subarray(at, at + 12)])
    // long password, connect with db, protocol 4.1, transactions, secure connection, plugin auth
    const caps = Buffer.alloc(4)
    caps.writeUInt32LE(0x1 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x80000)
    const max = Buffer.alloc(4)
    max.writeUInt32LE(1 << 24)
    const token = scramble(login.password, salt)
    const z = (s: string) => Buffer.from(`${s}\0`)
    this.send(Buffer.concat([caps, max, Buffer.from([33]), Buffer.alloc(23), z(login.user), Buffer.from([token.length]), token, z(login.database), z(NATIVE)]))
    let reply = await this.packet()
    if (reply[0] === 0xfe) {
      // auth switch: the server wants the answer again, to a new salt
      const plugin = reply.subarray(1, reply.indexOf(0, 1)).toString()
      if (plugin !== NATIVE) throw new MysqlError(`the server asks for ${plugin}; the demo client speaks ${NATIVE} only`)
      this.send(scramble(login.password, reply.subarray(reply.indexOf(0, 1) + 1, reply.indexOf(0, 1) + 21)))
      reply = await this.packet()
    }
    if (reply[0] !== 0x00) throw new MysqlError(`login refused: unexpected packet 0x${reply[0].toString(16)}`)
  }

  private send(payload: Buffer): void {
    const head = Buffer.alloc(4)
    head.writeUIntLE(payload.length, 0, 3)
    head[3] = this.seq++
    this.socket.write(Buffer.concat([head, payload]))
  }

  private async packet(): Promise<Buffer> {
    for (;;) {
      if (this.buffer.length >= 4) {
        const length = this.buffer.readUIntLE(0, 3)
        if (this.buffer.length >= 4 + length) {
          this.seq = this.buffer[3] + 1
          const payload = this.buffer.subarray(4, 4 + length)
          this.buffer = this.buffer.subarray(4 + length)
          if (isErrorPacket(payload)) throw new MysqlError(errorPacketText(payload))
          return payload
        }
      }
      if (this.failure) throw this.failure
      await new Promise<void>((resolve) => (this.waiting = resolve))
    }
  }
}

/** a text-protocol row: length-encoded strings, 0xfb for NULL */
function readRow(p: Buffer): (string | null)[] {
  const row: (string | null)[] = []
  for (let at = 0; at < p.length; ) {
    const first = p[at]
    if (first === 0xfb) {
      row.push(null)
      at++
      continue
    }
    const [length, size] = first < 0xfb ? [first, 1] : first === 0xfc ? [p.readUInt16LE(at + 1), 3] : first === 0xfd ? [p.readUIntLE(at + 1, 3), 4] : [Number(p.readBigUInt64LE(at + 1)), 9]
    row.push(p.subarray(at + size, at + size + length).toString())
    at += size + length
  }
  return row
}
