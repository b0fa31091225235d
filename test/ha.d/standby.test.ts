// hb_takeover from either node, and Heartbeat's own hb_standby script (it writes the FIFO) on a halo node.
import t from 'tap'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { cluster } from '../harness/cluster.ts'
import { until } from '../../lib/wait.ts'
import { runsExactly, settled } from '../harness/scenario.ts'

t.test('hb_takeover from either node', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  // nodeb takes everything, nodea's groups included
  t.match(await b.cmd('hb_takeover'), /asked nodea to hand over \[all\]/)
  await until('everything on nodeb', () => runsExactly(a, []) && runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  await settled(b, 'all')
  await settled(a, 'none')
  // nodea takes back its own (local), then nodeb's too (foreign)
  await a.cmd('hb_takeover', 'local')
  await until('r1 r2 back on nodea', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 15_000)
  await settled(a, 'local')
  await settled(b, 'local')
  await a.cmd('hb_takeover', 'foreign')
  await until('everything on nodea', () => runsExactly(a, ['r1', 'r2', 'r3']) && runsExactly(b, []), 15_000)
  await settled(a, 'all')
})

t.test("Heartbeat's own hb_standby script moves the group through the FIFO", async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  // the script sources /etc/ha.d/shellfuncs, which the heartbeat package puts there
  copyFileSync('/etc/ha.d/shellfuncs', join(a.vm.dir, 'etc/ha.d/shellfuncs'))
  const r = await a.vm.exec(['/usr/share/heartbeat/hb_standby', 'local'], { timeout: 10_000 })
  t.equal(r.code, 0, r.stderr)
  await until('r1 r2 on nodeb', () => runsExactly(a, []) && runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  await settled(b, 'all')
  await settled(a, 'none')
  const failback = await a.vm.exec(['/usr/share/heartbeat/hb_takeover', 'local'], { timeout: 10_000 })
  t.equal(failback.code, 0, failback.stderr)
  await until('r1 r2 back on nodea', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 15_000)
})
