// The pieces that tell a fresh packet from a copy, and bound what a copy can cost.
import t from 'tap'
import { FRESH_S, Outbox, PeerClock, SeqTrack } from '../../ha.d/sequence.ts'
import { guardRules } from '../../ha.d/media-guard.ts'
import { crcWarnings } from '../../ha.d/settings.ts'
import { parseAuthKeys } from '../../ha.d/config/authkeys.ts'

t.test('the peer clock: a copy held back is stale, a fresh stamp is not', async (t) => {
  const clock = new PeerClock()
  t.equal(clock.staleBy(1000, 0), 0, 'nothing heard: nothing to compare')
  clock.heard(1000, 0)
  t.equal(clock.staleBy(1000, 500), 0, 'stamped in the same second, half a second later')
  t.equal(clock.staleBy(1029, 30_000), 0, 'a message 30 s later, stamped a second behind (whole seconds)')
  t.equal(clock.staleBy(1000, 30_000), 30, 'the last message before, replayed 30 s later')
  t.equal(clock.staleBy(undefined, 30_000), 1030, 'no stamp at all')
  t.equal(clock.staleBy(1000, (FRESH_S - 0.5) * 1000), 0, 'within the tolerance a copy cannot be told')
  // a day unheard: a clock 100 ppm slow is still fresh (the tolerance grows with the time followed)
  const day = 86_400
  t.equal(clock.staleBy(1000 + day - 9, day * 1000), 0)
})

t.test('a retransmission fills a gap ("late"), a copy is a duplicate, after a death too', async (t) => {
  const track = new SeqTrack(() => undefined, 250)
  t.teardown(() => track.stop())
  t.equal(track.arrived(7, 1), 'new')
  t.equal(track.arrived(7, 3), 'new')
  t.equal(track.arrived(7, 2), 'late', 'the missing one, retransmitted')
  t.equal(track.arrived(7, 2), 'duplicate')
  track.lose()
  t.same(track.state, { generation: 7, lost: true })
  t.equal(track.arrived(7, 3), 'duplicate', 'a copy of what we had, after the death')
  t.equal(track.arrived(7, 9), 'new')
  t.same(track.state, { generation: 7, lost: false })
})

t.test('a message is resent at most once per max_rexmit_delay', async (t) => {
  const out = new Outbox(100)
  const seq = out.next()
  out.keep(seq, Buffer.from('m'))
  t.same(out.resend(seq), Buffer.from('m'))
  t.equal(out.resend(seq), 'recent', 'asked again at once: not resent')
  t.equal(out.resend(seq + 1), undefined, 'never sent: nothing (a nak)')
  const since = performance.now()
  await new Promise((r) => setTimeout(r, 100))
  t.ok(performance.now() - since >= 90)
  t.same(out.resend(seq), Buffer.from('m'), 'resent again once the delay is over')
})

t.test('the kernel guard: per port, only the media interfaces, only sources routed back there', async (t) => {
  const rules = guardRules(new Map([[694, ['eth0', 'eth2', 'eth0']], [1694, ['eth1']]]))
  t.match(rules, /iifname \{ "eth0", "eth2" \} udp dport 694 fib saddr \. iif oif exists accept\n\s+udp dport 694 counter drop/)
  t.match(rules, /iifname \{ "eth1" \} udp dport 1694 fib saddr \. iif oif exists accept\n\s+udp dport 1694 counter drop/)
  t.match(rules, /^table inet halo_heartbeat\ndelete table inet halo_heartbeat\n/, 'replaces a table left by an earlier start')
})

t.test('a crc key is warned about, naming the file and the key', async (t) => {
  const file = '/etc/ha.d/authkeys'
  const keys = parseAuthKeys('auth 1\n1 crc\n2 sha1 secret\n', file)
  const warned = crcWarnings(file, keys)
  t.equal(warned.length, 1)
  t.match(warned[0], `${file}: key 1 is crc, which has no secret`)
  t.match(warned[0], /2 sha1|1 sha1 YourSecret/)
  t.same(crcWarnings(file, parseAuthKeys('auth 2\n2 sha1 secret\n', file)), [], 'sha1 only: nothing to say')
})
