/**
 * The fields Heartbeat appends to every message after the type's own, in its order:
 *   [destuuid] src (1)srcuuid [seq] hg ts [ld] ttl      (auth is added when the message is encoded)
 * `NS_` messages (acks, retransmission requests) carry no seq and no ld: they are not sequenced, so they
 * are never retransmitted or acknowledged themselves. `dest` stays where the type's own fields put it
 * (repnodes has it before `t`); its `destuuid` comes after them.
 */
import { WireError } from './error.ts'
import { Message } from './message.ts'

/** This node as its peers know it. */
export interface Sender {
  node: string
  /** the 16-byte hb_uuid */
  uuid: Buffer
  generation: number
  /** nodes + hopfudge */
  ttl: number
}

export interface Stamp {
  /** time() in seconds */
  ts: number
  /** this sender's sequence number; required unless the type starts with NS_ */
  seq?: number
  /** /proc/loadavg without its newline; required unless the type starts with NS_ */
  ld?: string
  /** the destination's uuid, when the message has a `dest` and its uuid is known */
  destuuid?: Buffer
}

/** `own` (starting with `t`, or with `dest` then `t`) followed by the common fields. */
export function compose(own: Message, sender: Sender, stamp: Stamp): Message {
  const type = own.get('t')
  if (type === undefined) throw new WireError('a message needs a t= field')
  const sequenced = !type.startsWith('NS_')
  if (sequenced !== (stamp.seq !== undefined) || sequenced !== (stamp.ld !== undefined)) {
    throw new WireError(`t=${type}: ${sequenced ? 'needs' : 'takes no'} seq and ld`)
  }
  const msg = new Message([...own.fields])
  if (stamp.destuuid && own.field('dest')) msg.add('destuuid', stamp.destuuid)
  msg.add('src', sender.node).add('srcuuid', sender.uuid)
  if (stamp.seq !== undefined) msg.addNum('seq', stamp.seq)
  msg.addNum('hg', sender.generation).addNum('ts', stamp.ts)
  if (stamp.ld !== undefined) msg.add('ld', stamp.ld)
  return msg.addNum('ttl', sender.ttl)
}
