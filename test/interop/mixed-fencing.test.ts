// A halo node and a real Heartbeat 3.0.6 node with the same ha.cf, `stonith_host OTHER external/ipmi …` for both:
// each fences the other through the real plugin and the other's BMC (ipmi_sim) when it stops answering.
import t from 'tap'
import { until } from '../../lib/wait.ts'
import { cluster } from '../harness/cluster.ts'
import { fenceWith, fences, nowNs, switchesSince } from '../harness/fencing.ts'
import { atHome, runsExactly } from '../harness/scenario.ts'

t.test('halo and Heartbeat fence each other with the same stonith_host lines', async (t) => {
  const [a, b] = await cluster(t, { kinds: ['halo', 'heartbeat'], bmc: true, haresources: 'nodea hbtest::r1 hbtest::r2\nnodeb hbtest::r3\n' })
  fenceWith([a, b], 'external/ipmi')
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b, 30_000)

  // the Heartbeat node stops answering: halo serves, so it fences it at once, then runs r3 too
  let since = nowNs()
  await b.freeze()
  await until('halo powered the Heartbeat node off', () => switchesSince(b, since).includes('off'), 15_000)
  await until("halo's fence recorded", async () => (await fences(a)).some((f) => f.ok && f.target === 'nodeb'), 10_000)
  t.match((await fences(a)).at(-1), { target: 'nodeb', device: 'external/ipmi', action: 'reset', ok: true })
  await b.thaw()
  t.same(switchesSince(a, since), [], 'the halo node was not powered off')
  // reset: the Heartbeat node boots again and gets r3 back (auto_failback on)
  await atHome(a, b, 60_000)

  // the halo node stops answering: the real Heartbeat fences it through external/ipmi before taking r1 r2
  since = nowNs()
  await a.freeze()
  await until('Heartbeat powered the halo node off', () => switchesSince(a, since).includes('off'), 30_000)
  const off = a.powerLog().find((e) => e.ns >= since && e.event === 'off')!
  await a.thaw()
  await until('the group on exactly one node again', () => (runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3'])) || runsExactly(b, ['r1', 'r2', 'r3']), 30_000)
  const started = b.hbtestLog().filter((e) => e.action === 'start' && e.ns >= since && e.name !== 'r3')
  t.ok(started.every((e) => e.ns > off.ns), 'Heartbeat started nothing of nodea\'s before the power went')
  t.match(b.haLog(), /Resetting node nodea with \[IPMI STONITH device/, "the real node's log tells of the fence")
})
