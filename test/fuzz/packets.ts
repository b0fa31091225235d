/** Heartbeat packets for the engine fuzz: nodeb's messages with random fields, and packets nobody with the key sent. */
import { encode } from '../../ha.d/wire/codec.ts'
import { compose } from '../../ha.d/wire/compose.ts'
import { Message } from '../../ha.d/wire/message.ts'
import { type Rng, WIRE_TOKENS, mutateBytes } from './mutate.ts'

/** What forged packets need of nodeb: its files' uuid and generation */
export interface Peer {
  uuid: Buffer
  generation: number
}

/** the test cluster's authkeys (test/harness/cluster.ts) */
export const KEY = { index: 1, method: 'sha1', key: 'halo-cluster-test' } as const
const TYPES = ['status', 'hb_takeover', 'ask_resources', 'resource', 'shutdone', 'starting', 'reqnodes', 'repnodes', 'NS_rexmit', 'NS_nak_rexmit',
  'NS_ackmsg', 'num_ping_nodes', 'start_outdate', 'outdate_rc', 'fuzz']
const VALUES = ['all', 'local', 'foreign', 'none', 'me', 'other', 'active', 'dead', 'up', '1', '0', '-1', 'ffffffffffff', 'fffffffffffff', '9999999999999999',
  'zz', ' ', 'nodea', 'nodeb', 'r0', '../../x', '%%%', '\u00ff']
const FIELDS = ['rsc_hold', 'info', 'isstable', 'st', 'dt', 'protocol', 'dest', 'firstseq', 'lastseq', 'ackseq', 'num_ping', 'dop_res', 'req_id', 'rc']

/** A message of nodeb's, of a random type with random fields, stamped as nodeb stamps its own. */
export function forged(rng: Rng, b: Peer, opts: { hg?: number; seq?: number } = {}): Message {
  const type = rng.pick(TYPES)
  const own = new Message().add('t', type)
  for (let n = rng.int(4); n > 0; n--) own.add(rng.pick(FIELDS), rng.pick(VALUES))
  const sender = { node: 'nodeb', uuid: b.uuid, generation: opts.hg ?? b.generation, ttl: 3 }
  const sequenced = !type.startsWith('NS_')
  return compose(own, sender, { ts: Math.floor(Date.now() / 1000), seq: sequenced ? (opts.seq ?? 1 + rng.int(2 ** 40)) : undefined, ld: sequenced ? '0.00 0.00 0.00 1/1 1' : undefined })
}

/** A packet no engine of this cluster may believe: random, another cluster's, or nodeb's with a bad signature. */
export function untrusted(rng: Rng, b: Peer, captured: readonly Buffer[]): Buffer {
  switch (rng.int(6)) {
    case 0:
      return rng.bytes(rng.int(1500))
    case 1:
      // a real Heartbeat's packets, signed with another cluster's key (nodea and nodeb there too)
      return rng.chance(0.2) ? rng.pick(captured) : mutateBytes(rng, rng.pick(captured), WIRE_TOKENS)
    case 2: {
      const good = encode(forged(rng, b), KEY)
      let bad = mutateBytes(rng, good, WIRE_TOKENS)
      while (bad.equals(good)) bad = mutateBytes(rng, good, WIRE_TOKENS)
      return bad
    }
    case 3:
      return encode(forged(rng, b), { index: 1, method: rng.pick(['sha1', 'md5'] as const), key: `wrong-${rng.int(1000)}` })
    case 4:
      return encode(forged(rng, b), rng.chance(0.5) ? { index: 1, method: 'crc', key: '' } : { index: 2 + rng.int(14), method: 'sha1', key: KEY.key })
    default: {
      // the auth field right, the trailer cut off or replaced
      const good = encode(forged(rng, b), KEY).toString('latin1')
      const cut = good.slice(0, good.indexOf('%%%\n') + 4)
      return Buffer.from(rng.chance(0.5) ? cut : `${cut}42:1 ${'0'.repeat(40)},`, 'latin1')
    }
  }
}

