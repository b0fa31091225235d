// Every heartbeat link lost, then back: during the partition both nodes run every group (v1 without
// STONITH); once they hear each other again (same generations: neither restarted), each gives back what
// it took over, so every group runs on exactly one node again and nothing it ran alone restarts. A real
// Heartbeat peer restarts itself instead (handing everything over): the end is the same.
import t from 'tap'
import { runOk } from '../../lib/exec.ts'
import { cluster, type HaloNode } from '../harness/cluster.ts'
import { until } from '../../lib/wait.ts'
import { calls, runsExactly, settled } from '../harness/scenario.ts'

const everywhere = (a: HaloNode, b: HaloNode) => runsExactly(a, ['r1', 'r2', 'r3']) && runsExactly(b, ['r1', 'r2', 'r3'])

const link = (n: HaloNode, state: 'up' | 'down') => runOk(['ip', '-n', n.netns, 'link', 'set', 'eth0', state])
const nodeStatus = (from: HaloNode, of: HaloNode) => from.cmd('cl_status', 'nodestatus', of.name)

t.test('a healed partition leaves each group on one node', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  t.ok(runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 'r1 r2 on nodea, r3 on nodeb')

  await link(a, 'down')
  await until('each node takes the other one\'s groups', () => everywhere(a, b), 10_000)
  t.equal(await nodeStatus(a, b), 'dead', 'nodea declared nodeb dead')
  t.equal(await nodeStatus(b, a), 'dead', 'nodeb declared nodea dead')
  await settled(a, 'all')
  await settled(b, 'all')
  const started = { a: calls(a, 'start').length, b: calls(b, 'start').length }

  await link(a, 'up')
  await until('each group on exactly one node', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 10_000)
  await settled(a, 'local')
  await settled(b, 'local')
  t.equal(await nodeStatus(a, b), 'active', 'nodea sees nodeb again')
  t.equal(await nodeStatus(b, a), 'active', 'nodeb sees nodea again')
  t.same(calls(a, 'stop'), ['stop r3'], 'nodea gave back only r3, which it had taken over')
  t.same(calls(b, 'stop'), ['stop r2', 'stop r1'], 'nodeb gave back only r1 r2, which it had taken over')
  t.equal(calls(a, 'start').length, started.a, 'nodea started nothing again')
  t.equal(calls(b, 'start').length, started.b, 'nodeb started nothing again')
  for (const n of [a, b]) {
    const other = n === a ? b : a
    t.match(n.haLog(), new RegExp(`node ${other.name} came back after a partition`), `${n.name} logs the partition`)
    t.match(n.haLog(), /partition healed: giving up \[foreign\], taken over when it was declared dead; keeping \[local\]/, `${n.name} logs what it gives up`)
  }
})

t.test('a real Heartbeat 3.0.6 peer restarts itself after the partition: still each group on one node', async (t) => {
  const [a, b] = await cluster(t, { kinds: ['halo', 'heartbeat'] })
  await Promise.all([a.boot(), b.boot()])
  await until('r1 r2 on nodea, r3 on nodeb', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 30_000)
  await settled(a, 'local')
  await settled(b, 'local')

  await link(a, 'down')
  await until('each node takes the other one\'s groups', () => everywhere(a, b), 15_000)
  await settled(a, 'all')

  await link(a, 'up')
  await until('Heartbeat says it restarts', () => /returning after partition/.test(b.haLog()), 10_000)
  await until('nodeb back with a new generation', () => /node nodeb restarted/.test(a.haLog()), 30_000)
  // as between two Heartbeat nodes: the restarted node joins, auto_failback gives each its own groups
  await until('r1 r2 on nodea, r3 on nodeb again', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 20_000)
  await settled(a, 'local')
  await settled(b, 'local')
  t.match(a.haLog(), /node nodeb came back after a partition/, 'halo logs the partition')
  t.match(a.haLog(), /partition healed: giving up \[foreign\]/, 'and gives back what it took over')
})
