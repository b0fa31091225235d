// Forged packets sent into a running cluster on its heartbeat link: each one a `hb_takeover rsc_hold=all`
// that would move every group if it were believed. Nothing may change; each drop is counted.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { cluster } from '../harness/cluster.ts'
import { until } from '../../lib/wait.ts'
import { inject, lib, takeover } from './forge.ts'
import { calls, engineStatus, runsExactly, settled } from '../harness/scenario.ts'

t.test('forged packets change nothing and are counted', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  const starts = calls(a, 'start').length + calls(b, 'start').length
  type Reason = 'malformed' | 'unauthentic' | 'strangers' | 'replays'
  const REASONS: Reason[] = ['malformed', 'unauthentic', 'strangers', 'replays']
  const drops = async () => {
    const d = (await engineStatus(a)).drops!
    return Object.fromEntries(REASONS.map((r) => [r, d[r]])) as Record<Reason, number>
  }
  const total = (d: Record<Reason, number>) => REASONS.reduce((n, r) => n + d[r], 0)

  const cases: [string, Buffer, Reason][] = [
    ['wrong key', takeover(b, { key: 'not-the-key' }), 'unauthentic'],
    ['replayed lower generation', takeover(b, { generation: Number(lib(b, 'hb_generation')) - 1 }), 'replays'],
    // cut inside the hg field: the netstring structure is broken before any authentication
    ['truncated', takeover(b).subarray(0, 120), 'malformed'],
    ['garbage bytes', randomBytes(300), 'malformed'],
    ["a stranger's src", takeover(b, { src: 'nodec' }), 'strangers'],
  ]
  for (const [what, packet, reason] of cases) {
    const before = await drops()
    await inject(b, a, packet)
    let after = before
    await until(`nodea to count the ${what} packet as dropped`, async () => total((after = await drops())) > total(before), 5000)
    t.same(after, { ...before, [reason]: before[reason] + 1 }, `${what}: dropped and counted once, as ${reason}`)
  }
  // a genuine status from nodeb still gets through, so the link and membership are as they were
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'active')
  t.equal(await a.cmd('cl_status', 'hblinkstatus', 'nodeb', 'eth0'), 'up')
  t.equal(await a.cmd('cl_status', 'rscstatus'), 'local')
  t.equal(await b.cmd('cl_status', 'rscstatus'), 'local')
  t.ok(runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 'the groups did not move')
  t.equal(calls(a, 'start').length + calls(b, 'start').length, starts, 'nothing was started or restarted')
  t.equal(calls(a, 'stop').length + calls(b, 'stop').length, 0, 'nothing was stopped')
  t.match(await a.cmd('halo-heartbeat', '-s'), /is running on nodea/)
  t.notMatch(a.haLog(), /takeover|standby/i, 'no standby was started')
})
