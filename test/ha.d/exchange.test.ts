// ha.d/exchange.ts, the wire side of the engine, over fake media (no sockets, no nft): what is delivered,
// what is dropped and counted as what, what proves the peer alive, and what goes out (signed, sequenced,
// acked, asked for, resent byte for byte). Sequence timers run on node:test's mock clock.
import t, { type Test } from 'tap'
import { mock } from 'node:test'
import { LogRecorder } from '../fixtures/log-recorder.ts'
import { until } from '../../lib/wait.ts'
import { Exchange, type ExchangeOptions, type Heard } from '../../ha.d/exchange.ts'
import { Message } from '../../ha.d/wire/message.ts'
import { FakeMedia, fromB, nodeaOptions, now } from './fake-media.ts'

function exchange(t: Test, over: Partial<ExchangeOptions> = {}, unguarded?: string) {
  const media = new FakeMedia()
  media.unguarded = unguarded
  const log = new LogRecorder('heartbeat', true)
  const heard: Heard[] = []
  const proofs: { link: string; at?: number }[] = []
  const x = new Exchange(media, nodeaOptions(log, { deliver: (h) => heard.push(h), alive: (_src, link, at) => (proofs.push({ link, at }), true), ...over }))
  t.teardown(() => x.close())
  return { x, media, log, heard, proofs }
}

const types = (h: Heard[]) => h.map((m) => `${m.type} ${m.msg.get('seq') ?? '-'}`)

t.test('a message of the peer is delivered once, with its generation and link; the copy on the second medium is a duplicate', async (t) => {
  const { x, media, heard, proofs, log } = exchange(t)
  const status = fromB([['t', 'status'], ['st', 'active'], ['dt', '7530']], { seq: 1 })
  media.arrive(status, 'eth1')
  media.arrive(status, 'eth2')
  t.same(heard.map((h) => [h.src, h.type, h.hg, h.link, h.msg.get('st')]), [['nodeb', 'status', 7, 'eth1', 'active']])
  t.equal(proofs.length, 2)
  t.ok(proofs[0].at !== undefined && proofs[0].link === 'eth1', 'the first proves nodeb alive')
  t.same(proofs[1], { link: 'eth2', at: undefined }, 'the copy proves its link only')
  t.match(x.counters, { duplicates: 1, malformed: 0, unauthentic: 0 })
  t.match(log.lines.join('\n'), /debug: got t=status from nodeb seq 1/)
})

t.test('what is dropped, and counted as what; nothing of it is delivered', async (t) => {
  const { x, media, heard, proofs, log } = exchange(t, { knownGeneration: () => 7 })
  media.arrive(Buffer.from('###\nnot a message'))
  media.arrive(fromB([['t', 'status']], { key: { index: 1, method: 'sha1', key: 'wrong' } }))
  media.arrive(fromB([['t', 'status']], { src: 'nodec' }))
  media.arrive(fromB([['t', 'status']], { hg: 6 }))
  media.arrive(fromB([['t', 'status']], { src: 'nodea' }))
  media.arrive(fromB([['t', 'status'], ['seq', 'zz']]))
  media.emit('stray', '192.0.2.9')
  t.same(x.counters, { malformed: 2, unauthentic: 1, strangers: 1, replays: 1, duplicates: 0, offMedia: 1 })
  t.same(heard, [])
  t.same(proofs, [], 'nothing of it proves nodeb alive')
  const dropped = log.lines.filter((l) => l.startsWith('debug: dropped a packet'))
  t.equal(dropped.length, 6, 'each drop but our own echo leaves a debug line')
  t.match(dropped.join('\n'), /\(replays\): nodeb: generation 6 < 7/)
  t.match(dropped.join('\n'), /\(offMedia\): 192\.0\.2\.9: not the address of any medium/)
  t.match(dropped.join('\n'), /\(malformed\): 10\.0\.0\.2: field seq: "zz" is not a hex number/)
})

t.test('a message for another node is sequenced but not delivered', async (t) => {
  const { media, heard } = exchange(t)
  media.arrive(fromB([['t', 'repnodes'], ['dest', 'nodec']], { seq: 1 }))
  media.arrive(fromB([['t', 'reqnodes'], ['dest', 'nodea']], { seq: 2 }))
  t.same(types(heard), ['reqnodes 2'])
})

t.test('send: sequenced from 1, signed with the key in force, dest given its uuid once known; NS_ has no seq', async (t) => {
  const { x, media } = exchange(t)
  x.send(new Message().add('t', 'status').add('st', 'up'))
  x.send(new Message().add('t', 'NS_ackmsg').add('dest', 'nodeb').addNum('ackseq', 1))
  const [status, ack] = media.take()
  media.arrive(fromB([['t', 'status']], { seq: 1 }))
  media.take()
  x.send(new Message().add('t', 'reqnodes').add('dest', 'nodeb'))
  await x.flushed()
  const [reqnodes] = media.take()
  t.match(status.join(' '), /^t=status st=up src=nodea srcuuid=(0a){16} seq=1 hg=3 ts=[0-9a-f]+ ld=.* ttl=3 auth=1 [0-9a-f]{40}$/)
  t.match(ack.join(' '), /^t=NS_ackmsg dest=nodeb ackseq=1 src=nodea srcuuid=(0a){16} hg=3 ts=[0-9a-f]+ ttl=3 auth=1 /)
  t.match(reqnodes.join(' '), /^t=reqnodes dest=nodeb destuuid=(0b){16} src=nodea srcuuid=(0a){16} seq=2 /)
})

t.test('every tenth message of the peer is acknowledged (NS_ackmsg), from the first heard', async (t) => {
  const { media } = exchange(t)
  for (let seq = 5; seq <= 25; seq++) media.arrive(fromB([['t', 'status']], { seq }))
  const acks = media.take().map((m) => m.find((f) => f.startsWith('ackseq='))!)
  t.same(acks, ['ackseq=5', 'ackseq=f', 'ackseq=19'])
})

t.test('a gap is asked for (NS_rexmit) within max_rexmit_delay; a nak ends the asking', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] })
  t.teardown(() => mock.timers.reset())
  const { media, heard } = exchange(t, { rexmitDelay: 250 })
  media.arrive(fromB([['t', 'status']], { seq: 1 }))
  media.arrive(fromB([['t', 'status']], { seq: 4 }))
  t.same(media.take().map((m) => m[0]), ['t=NS_ackmsg'], 'the first heard is acknowledged; the gap is not asked for at once')
  mock.timers.tick(250)
  const [ask] = media.take()
  t.match(ask.join(' '), /^t=NS_rexmit dest=nodeb firstseq=2 lastseq=3 destuuid=(0b){16} src=nodea/)
  media.arrive(fromB([['t', 'status']], { seq: 3 }))
  media.arrive(fromB([['t', 'NS_nak_rexmit'], ['dest', 'nodea'], ['firstseq', '2'], ['lastseq', '2']]))
  mock.timers.tick(1000)
  t.same(media.take(), [], 'nothing more is owed')
  t.same(types(heard), ['status 1', 'status 4', 'status 3'], 'the late one delivered when it came; the nak not at all')
})

t.test('a retransmission request is answered byte for byte, at most once per max_rexmit_delay; what is gone gets a nak', async (t) => {
  const { x, media } = exchange(t, { rexmitDelay: 60_000 })
  x.send(new Message().add('t', 'status').add('st', 'up'))
  x.send(new Message().add('t', 'status').add('st', 'active'))
  const original = [...media.sent]
  media.sent.length = 0
  const rexmit = (ts: number) => fromB([['t', 'NS_rexmit'], ['dest', 'nodea'], ['firstseq', '1'], ['lastseq', '3']], { ts })
  media.arrive(rexmit(now()))
  t.same(media.sent.slice(0, 2), original, 'seqs 1 and 2 as they were sent')
  t.match(media.take()[2].join(' '), /^t=NS_nak_rexmit dest=nodeb firstseq=3 destuuid=(0b){16} src=nodea/, 'seq 3 was never sent')
  media.arrive(rexmit(now() + 1))
  t.same(
    media.take().map((m) => m[0]),
    ['t=NS_nak_rexmit'],
    'asked again at once: only the nak',
  )
  t.equal(x.counters.duplicates, 0)
})

t.test('an NS_ datagram twice, or stamped long before the peer\'s clock, is a copy', async (t) => {
  const { x, media, proofs } = exchange(t)
  media.arrive(fromB([['t', 'status']], { seq: 1 }))
  const ns = fromB([['t', 'NS_probe'], ['dest', 'nodea']])
  media.arrive(ns)
  media.arrive(ns)
  t.equal(x.counters.duplicates, 1)
  media.arrive(fromB([['t', 'NS_probe2'], ['dest', 'nodea']], { ts: now() - 60 }))
  t.equal(x.counters.replays, 1, 'a minute behind its clock')
  t.equal(proofs.filter((p) => p.at !== undefined).length, 1, 'only the status proved it alive')
})

t.test('after a death, a message of the same generation stamped before it is a replay; a fresh one brings it back', async (t) => {
  const { x, media, heard } = exchange(t)
  media.arrive(fromB([['t', 'status']], { seq: 1 }))
  x.forget('nodeb')
  media.arrive(fromB([['t', 'status']], { seq: 2, ts: now() - 30 }))
  t.equal(x.counters.replays, 1)
  media.arrive(fromB([['t', 'status']], { seq: 1 }))
  t.equal(x.counters.duplicates, 1, 'a seq it had is still had')
  media.arrive(fromB([['t', 'status']], { seq: 3 }))
  t.same(types(heard), ['status 1', 'status 3'])
})

t.test('a peer quiet for two keepalives is asked for what it must have sent since', async (t) => {
  const { x, media } = exchange(t, { keepalive: 40 })
  media.arrive(fromB([['t', 'status'], ['dt', String((5000).toString(16))]], { seq: 9 }))
  t.same(media.take().map((m) => m[0]), ['t=NS_ackmsg'], 'the first heard is acknowledged')
  await until('nodea to ask the quiet nodeb', () => media.sent.length > 0, 3000)
  const [ask] = media.take()
  t.match(ask.join(' '), /^t=NS_rexmit dest=nodeb firstseq=10 lastseq=1[0-2] destuuid=(0b){16} src=nodea/)
  await x.close()
})

t.test('media without the kernel guard: said once, as an error naming nftables', async (t) => {
  const { log } = exchange(t, {}, 'nft: command not found')
  t.match(log.lines, [/^err: heartbeat media: cannot make the kernel refuse .*\(nft: command not found\); install nftables/])
})
