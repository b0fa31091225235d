import t from 'tap'
import { Outbox, SeqTrack } from '../../ha.d/sequence.ts'
import { until } from '../../lib/wait.ts'

t.test('the outbox knows when each message was sent', async (t) => {
  const out = new Outbox()
  const before = performance.now()
  const seq = out.next()
  out.keep(seq, Buffer.from('x'))
  t.ok(out.sentAt(seq)! >= before && out.sentAt(seq)! <= performance.now())
  t.equal(out.sentAt(seq + 1), undefined, 'nothing for a seq not sent')
})

t.test('a peer declared dead: its next message comes without a gap, a copy of an old one is a duplicate', async (t) => {
  const asked: unknown[] = []
  const track = new SeqTrack((gap) => asked.push(gap))
  t.teardown(() => track.stop())
  for (const seq of [1, 2, 3]) t.equal(track.arrived(7, seq), 'new')
  track.lose()
  t.equal(track.arrived(7, 2), 'duplicate', 'a replay of what we had')
  t.equal(track.arrived(7, 40), 'new', 'it came back')
  t.equal(track.arrived(7, 41), 'new')
  t.equal(track.arrived(7, 43), 'new')
  await until('a retransmission request', () => asked.length > 0, 2000)
  t.same(asked[0], { first: 42, last: 42 }, 'only what it missed after it came back is asked for')
  t.equal(track.arrived(8, 1), 'new', 'a restart starts afresh')
})
