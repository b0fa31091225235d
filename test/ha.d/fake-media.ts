/**
 * The heartbeat media without sockets or nft, for the unit tests of the exchange and the engine: what is
 * sent is kept, and a test hands in the peer's datagrams, signed as nodeb (generation 7) signs them.
 */
import { EventEmitter } from 'node:events'
import type { ExchangeOptions, MediaPort } from '../../ha.d/exchange.ts'
import type { Logger } from '../../lib/log.ts'
import type { Arrival } from '../../ha.d/media.ts'
import type { AuthKey } from '../../ha.d/config/authkeys.ts'
import { decode, encode } from '../../ha.d/wire/codec.ts'
import { compose } from '../../ha.d/wire/compose.ts'
import { Message } from '../../ha.d/wire/message.ts'
import { keySet } from './wire/captures.ts'

export const KEY: AuthKey = { index: 1, method: 'sha1', key: 'halo-unit-key' }
export const NODEB = { node: 'nodeb', uuid: Buffer.alloc(16, 0xb), generation: 7, ttl: 3 }
const FROM = '10.0.0.2'

/** nodea's side of the exchange with nodeb (generation 3), keyed with KEY; `over`: what the test watches */
export const nodeaOptions = (log: Logger, over: Partial<ExchangeOptions> = {}): ExchangeOptions => ({
  self: 'nodea',
  peer: 'nodeb',
  sender: { node: 'nodea', uuid: Buffer.alloc(16, 0xa), generation: 3, ttl: 3 },
  log,
  auth: () => keySet(KEY),
  knownGeneration: () => 0,
  deliver: () => {},
  alive: () => true,
  keepalive: 1000,
  ...over,
})

export class FakeMedia extends EventEmitter<{ arrival: [Arrival]; stray: [string]; error: [Error] }> implements MediaPort {
  readonly sent: Buffer[] = []
  unguarded?: string
  send(data: Buffer): Promise<void> {
    this.sent.push(data)
    return Promise.resolve()
  }
  links(): string[] {
    return ['eth1', 'eth2']
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
  arrive(data: Buffer, link = 'eth1', from = FROM): void {
    this.emit('arrival', { data, from, link })
  }
  /** what was sent since the last call, each as its `name=value` fields (binary ones in hex) */
  take(): string[][] {
    return this.sent.splice(0).map((b) => {
      const d = decode(b)
      if (d instanceof Error) throw d
      return d.message.fields.map((f) => `${f.name}=${f.type === 0 ? f.value : f.value.toString('hex')}`)
    })
  }
}

export const now = () => Math.floor(Date.now() / 1000)

/** A datagram of nodeb's: `t` and its own fields, then the common ones; sequenced unless NS_. */
export function fromB(own: [string, string][], stamp: { seq?: number; ts?: number; hg?: number; key?: AuthKey; src?: string } = {}): Buffer {
  const msg = new Message(own.map(([name, value]) => ({ name, type: 0 as const, value })))
  const sender = { ...NODEB, node: stamp.src ?? 'nodeb', generation: stamp.hg ?? NODEB.generation }
  const sequenced = !own[0][1].startsWith('NS_')
  const seq = sequenced ? (stamp.seq ?? 1) : undefined
  return encode(compose(msg, sender, { ts: stamp.ts ?? now(), seq, ld: sequenced ? '0.00 0.00 0.00 1/1 1' : undefined }), stamp.key ?? KEY)
}
