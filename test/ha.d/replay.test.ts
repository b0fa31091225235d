// Replays of real heartbeat traffic, captured on the link and sent again from the peer's namespace: a
// retransmission request sent ten times costs one bounded answer, and what a peer sent before it died
// (heard or never heard) cannot raise it from the dead.
import t from 'tap'
import { cluster, type HaloNode } from '../harness/cluster.ts'
import { capture } from '../harness/capture.ts'
import { lossyLink } from '../harness/loss.ts'
import { until } from '../../lib/wait.ts'
import { decode } from '../../ha.d/wire/codec.ts'
import { encode } from '../../ha.d/wire/codec.ts'
import { compose } from '../../ha.d/wire/compose.ts'
import { Message } from '../../ha.d/wire/message.ts'
import type { UdpPacket } from '../harness/pcap.ts'
import { lib, replay } from './forge.ts'
import { atHome, calls, engineStatus, powerCut, runsExactly, settled } from '../harness/scenario.ts'

/** How long after the peer's death its traffic is replayed: the issue saw it done 30 s later. */
const REPLAY_AFTER_S = 5

const fromNode = (n: HaloNode) => (p: UdpPacket) => p.from.startsWith(`${n.address}:`)
const seqOf = (p: UdpPacket) => {
  const d = decode(p.payload)
  return d instanceof Error ? undefined : d.message.num('seq')
}
const drops = async (n: HaloNode) => (await engineStatus(n)).drops ?? {}

t.test('replayed traffic: retransmission bounded, a dead peer stays dead', async (t) => {
  const [a, b] = await cluster(t)
  // from before the boot: every message nodea sends is in it, so any second copy is a retransmission
  const cap = await capture(t, b.netns, 'eth0', ['udp', 'port', '694'])
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)

  await t.test('one retransmission request sent ten times: one bounded answer', async (t) => {
    const range = { first: 1, last: 60 }
    await until(`nodea to have sent ${range.last} messages`, () => cap.datagrams().some((p) => fromNode(a)(p) && (seqOf(p) ?? 0) >= range.last), 20_000)
    const ask = compose(new Message().add('t', 'NS_rexmit').add('dest', 'nodea').addNum('firstseq', range.first).addNum('lastseq', range.last), {
      node: 'nodeb',
      uuid: lib(b, 'hb_uuid'),
      generation: Number(lib(b, 'hb_generation')),
      ttl: 3,
    }, { ts: Math.floor(Date.now() / 1000) })
    const packet = encode(ask, { index: 1, method: 'sha1', key: 'halo-cluster-test' })
    const copies = () => cap.datagrams().filter((p) => fromNode(a)(p) && (seqOf(p) ?? 0) >= range.first && (seqOf(p) ?? 0) <= range.last).length
    // retransmissions nodeb itself may have asked for while both started
    const earlier = copies()
    const resent = () => copies() - earlier
    const before = await drops(a)
    await replay(b.netns, a.address, Array(10).fill(packet))
    await until('nodea to drop the nine copies, or to answer them all', async () => ((await drops(a)).duplicates ?? 0) >= (before.duplicates ?? 0) + 9 || resent() > 50, 10_000)
    await until('nodea to answer the request', () => resent() >= 50, 5000)
    t.equal(resent(), 50, 'nodea resent 50 messages (as Heartbeat, at most 50 for one request), once')
    t.equal((await drops(a)).duplicates, (before.duplicates ?? 0) + 9, 'the nine copies were dropped as duplicates')
  })

  await t.test('what nodeb sent before it died, replayed later, changes nothing', async (t) => {
    // nodea hears nodeb no more: it declares it dead and takes r3, while nodeb, alive, sends on
    const cut = await lossyLink(a.netns, b.address, 100)
    await settled(a, 'all')
    await powerCut(b)
    await cut.heal()
    t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'dead')
    const packets = cap.datagrams().filter(fromNode(b))
    t.ok(packets.some((p) => /t=status/.test(p.payload.toString('latin1')) && p.sec > 0), 'the capture holds statuses of nodeb')
    const newest = Math.max(...packets.map((p) => p.sec + p.usec / 1e6))
    // the scenario: the replay comes some seconds after the death (not a synchronisation)
    await until(`${REPLAY_AFTER_S} s since nodeb's last datagram`, () => Date.now() / 1000 > newest + REPLAY_AFTER_S, (REPLAY_AFTER_S + 5) * 1000)
    const before = { drops: await drops(a), log: a.haLog().length, stops: calls(a, 'stop').length, starts: calls(a, 'start').length }
    const dropped = (d: Record<string, number>) => (d.replays ?? 0) + (d.duplicates ?? 0) - (before.drops.replays ?? 0) - (before.drops.duplicates ?? 0)
    await replay(b.netns, a.address, packets.map((p) => p.payload))
    await until('nodea to drop every replayed datagram, or to act on one', async () => dropped(await drops(a)) >= packets.length || /came back|restarted/.test(a.haLog().slice(before.log)), 10_000)

    const log = a.haLog().slice(before.log)
    t.equal(dropped(await drops(a)), packets.length, `each of the ${packets.length} replayed datagrams dropped, as a duplicate or a replay`)
    t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'dead', 'nodeb is still dead')
    t.equal(await a.cmd('cl_status', 'rscstatus'), 'all', 'nodea still holds every group')
    t.ok(runsExactly(a, ['r1', 'r2', 'r3']), 'r1 r2 r3 run on nodea')
    t.equal(calls(a, 'stop').length, before.stops, 'nothing was stopped')
    t.equal(calls(a, 'start').length, before.starts, 'nothing was started')
    t.notMatch(log, /came back|partition|restarted|is up|status (up|active)|link nodeb/, 'nothing about nodeb in the log')
  })
})
