import t from 'tap'
import { decode, encode } from '../../../ha.d/wire/codec.ts'
import { compose, type Sender } from '../../../ha.d/wire/compose.ts'
import { WireError } from '../../../ha.d/wire/error.ts'
import { Message } from '../../../ha.d/wire/message.ts'
import { CAPTURES, capture } from './captures.ts'

t.test('numbers are read and written in the base Heartbeat prints them in', async (t) => {
  const m = new Message().addNum('seq', 0x5a4).addNum('hg', 1795388022).addNum('ttl', 3).addNum('firstseq', 42).addNum('ackseq', 255)
  t.same(
    m.fields.map((f) => `${f.name}=${f.value}`),
    ['seq=5a4', 'hg=6b037276', 'ttl=3', 'firstseq=42', 'ackseq=ff'],
  )
  t.equal(m.num('seq'), 0x5a4)
  t.equal(m.num('firstseq'), 42)
  t.equal(new Message().add('dt', 'BB8').num('dt'), 3000, 'hex in either case')
  t.equal(m.num('dt'), undefined, 'absent')
  t.throws(() => new Message().add('seq', '12g').num('seq'), new WireError('field seq: "12g" is not a hex number'))
  t.throws(() => new Message().add('lastseq', 'a').num('lastseq'), new WireError('field lastseq: "a" is not a decimal number'))
  t.throws(() => new Message().add('hg', '').num('hg'), { message: /field hg: "" is not a hex number/ })
  t.throws(() => new Message().add('seq', 'f'.repeat(14)).num('seq'), { message: /is not a hex number/ }, 'beyond 2^53')
  t.throws(() => new Message().addNum('seq', -1), { message: /field seq: -1 is not a non-negative integer/ })
})

t.test('text and bytes are told apart, and the first of two same-named fields wins', async (t) => {
  const m = new Message().add('src', 'nodea').add('srcuuid', Buffer.from('aa4ac9d3', 'hex')).add('src', 'nodeb')
  t.equal(m.get('src'), 'nodea')
  t.same(m.bytes('srcuuid'), Buffer.from('aa4ac9d3', 'hex'))
  t.throws(() => m.get('srcuuid'), new WireError('field srcuuid is binary where text is expected'))
  t.throws(() => m.bytes('src'), new WireError('field src is text where bytes are expected'))
  t.equal(m.get('dest'), undefined)
})

const nodeb: Sender = { node: 'nodeb', uuid: Buffer.from('217cf8243afa44b5a64bfc087637f7b0', 'hex'), generation: 0x6b0374bb, ttl: 3 }
const nodeaUuid = Buffer.from('aa4ac9d368bd4f8d8cb1ced1493f5dc7', 'hex')

t.test('composed messages are byte for byte what Heartbeat sent', async (t) => {
  const { name, key } = CAPTURES[0]
  const { packets } = capture(name)
  const ts = 0x6b0374fb
  const status = new Message().add('t', 'status').add('st', 'init').addNum('dt', 3000).addNum('protocol', 1)
  t.same(encode(compose(status, nodeb, { seq: 1, ts, ld: '0.63 0.18 0.06 8/118 16' }), key), packets[0].payload, 'a status')
  const ack = new Message().add('t', 'NS_ackmsg').add('dest', 'nodeb').addNum('ackseq', 2)
  t.same(encode(compose(ack, nodeb, { ts, destuuid: nodeb.uuid }), key), packets[1].payload, 'an NS_ message: no seq, no ld')
  const repnodes = new Message().add('dest', 'nodea').add('t', 'repnodes').add('nodelist', 'nodea nodeb ').add('delnodelist', ' ')
  const stamp = { seq: 6, ts, ld: '0.63 0.18 0.06 3/107 18', destuuid: nodeaUuid }
  t.same(encode(compose(repnodes, nodeb, stamp), key), packets[11].payload, 'dest before t, destuuid after the own fields')
  const reqnodes = new Message().add('t', 'reqnodes').add('dest', 'nodea')
  const noUuid = decode(encode(compose(reqnodes, nodeb, { seq: 5, ts, ld: '0' }), key))
  t.same(
    noUuid instanceof WireError ? noUuid : noUuid.message.fields.map((f) => f.name),
    ['t', 'dest', 'src', 'srcuuid', 'seq', 'hg', 'ts', 'ld', 'ttl', 'auth'],
    'no destuuid when it is not known',
  )
})

t.test('compose refuses what a peer would misread', async (t) => {
  t.throws(() => compose(new Message().add('st', 'up'), nodeb, { ts: 1, seq: 1, ld: '0' }), new WireError('a message needs a t= field'))
  t.throws(() => compose(new Message().add('t', 'status'), nodeb, { ts: 1, ld: '0' }), new WireError('t=status: needs seq and ld'))
  t.throws(() => compose(new Message().add('t', 'NS_ackmsg'), nodeb, { ts: 1, seq: 1 }), new WireError('t=NS_ackmsg: takes no seq and ld'))
  const own = new Message().add('t', 'starting')
  compose(own, nodeb, { ts: 1, seq: 1, ld: '0' })
  t.equal(own.fields.length, 1, 'the own fields are left as they were')
})
