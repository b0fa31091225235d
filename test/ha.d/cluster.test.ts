// Two halo nodes in virtual nodes: startup negotiation, standby, power cut and failback, clean stop.
// Waits are bounded and event-driven: each awaits the hbtest files or cl_status, never a fixed sleep.
import t from 'tap'
import { cluster } from '../harness/cluster.ts'
import { until } from '../../lib/wait.ts'
import { powerCut, runsExactly, settled } from '../harness/scenario.ts'

t.test('both start together: each takes its own groups after the 10 s wait', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await until('r1 r2 on nodea, r3 on nodeb', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 20_000)
  await settled(a, 'local')
  await settled(b, 'local')
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'active')
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'active')
  t.match(await a.cmd('halo-heartbeat', '-s'), /^halo-heartbeat OK \[pid \d+ et al\] is running on nodea \[nodea\]\.\.\.$/)
  // r1 starts before r2: left to right
  const starts = a.hbtestLog().filter((e) => e.action === 'start').map((e) => e.name)
  t.same(starts, ['r1', 'r2'])

  // hb_standby on nodea: nodeb runs everything
  await a.cmd('hb_standby')
  await until('everything on nodeb', () => runsExactly(a, []) && runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  await settled(b, 'all')
  await settled(a, 'none')
  // hb_standby foreign on nodeb (failback): nodea gets its groups back
  await b.cmd('hb_standby', 'foreign')
  await until('r1 r2 back on nodea', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 15_000)
  await settled(a, 'local')
  await settled(b, 'local')
})

t.test('power cut of the active node: the peer takes over; the owner returning gets its groups back', async (t) => {
  const [a, b] = await cluster(t)
  await b.boot()
  // nodeb alone: after initdead it takes everything
  await until('everything on nodeb', () => runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  await settled(b, 'all')
  // nodea joins later: auto_failback on gives r1 r2 back to it
  await a.boot()
  await until('r1 r2 on nodea', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 15_000)
  await settled(a, 'local')
  await settled(b, 'local')
  const cut = await powerCut(a)
  await until('nodeb takes r1 r2', () => runsExactly(b, ['r1', 'r2', 'r3']), 10_000)
  const started = b.hbtestLog().filter((e) => e.action === 'start' && e.name === 'r1').at(-1)!
  // hbtest stamps its calls with the wall clock the test reads too
  const took = Number(started.ns / 1_000_000n) - cut
  // nodea, up for less than 5 s, advertises deadtime 1 s + 2 s (as Heartbeat does): the death follows that
  const dt = Number(/node nodea is dead \(silent for \d+ ms; its deadtime is (\d+) ms\)/.exec(b.haLog())?.[1])
  t.ok(took < dt + 1000, `failover within nodea's advertised deadtime (${dt} ms) + 1 s of the power cut: ${Math.round(took)} ms`)
  t.match(b.haLog(), /node nodea is dead/)
  await settled(b, 'all')
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'dead')
})

t.test('graceful stop hands over at once, without waiting for deadtime', async (t) => {
  const [a, b] = await cluster(t, { keepalive: '500ms', warntime: '5', deadtime: '20', initdead: '20' })
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local', 30_000)
  await settled(b, 'local', 30_000)
  const t0 = Date.now()
  const stop = await a.vm.exec([process.execPath, '/work/main/dist/bin/halo-heartbeat', '-k'])
  t.equal(stop.code, 0, 'halo-heartbeat -k exits 0 once the engine is gone')
  await until('nodeb runs everything', () => runsExactly(b, ['r1', 'r2', 'r3']) && runsExactly(a, []), 10_000)
  t.ok(Date.now() - t0 < 10_000, `handover in ${Date.now() - t0} ms, well under the 20 s deadtime`)
  await settled(b, 'all')
  t.equal((await a.vm.exec([process.execPath, '/work/main/dist/bin/halo-heartbeat', '-s'])).code, 3)
})
