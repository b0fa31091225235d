// Deaths and returns: a power cut of the node that runs nothing, auto_failback off, a restart that
// brings a grown generation. Every wait is bounded and awaits the hbtest files or cl_status.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cluster, type HaloNode } from '../harness/cluster.ts'
import { until } from '../../lib/wait.ts'
import { calls, powerCut, runsExactly, settled } from '../harness/scenario.ts'

const generation = (node: HaloNode) => Number(readFileSync(join(node.vm.dir, 'var/lib/heartbeat/hb_generation'), 'utf8'))

t.test('power cut of the standby node: nothing moves', async (t) => {
  const [a, b] = await cluster(t, { haresources: 'nodea hbtest::r1 hbtest::r2\n' })
  await a.boot()
  await until('nodea runs r1 r2 alone', () => runsExactly(a, ['r1', 'r2']), 15_000)
  await b.boot()
  await until('nodeb sees nodea active', async () => (await b.cmd('cl_status', 'nodestatus', 'nodea')) === 'active', 10_000)
  // nodeb owns no group: each holds its own, which for nodeb is nothing
  await settled(a, 'local')
  await settled(b, 'local')
  const before = calls(a)
  await powerCut(b)
  await until('nodea declares nodeb dead', async () => (await a.cmd('cl_status', 'nodestatus', 'nodeb')) === 'dead', 10_000)
  // it now holds nodeb's (empty) share too
  await settled(a, 'all')
  t.ok(runsExactly(a, ['r1', 'r2']), 'nodea still runs r1 r2')
  t.same(calls(a, 'start').length, 2, 'nothing was started again')
  t.same(calls(a).filter((c) => !c.startsWith('status')), before.filter((c) => !c.startsWith('status')), 'nothing was stopped')
  t.match(a.haLog(), /node nodeb is dead/)
})

t.test('auto_failback off: the owner returning does not get its groups back', async (t) => {
  const [a, b] = await cluster(t, { autoFailback: 'off' })
  await Promise.all([a.boot(), b.boot()])
  await until('r1 r2 on nodea, r3 on nodeb', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 20_000)
  await powerCut(a)
  await until('nodeb takes r1 r2', () => runsExactly(b, ['r1', 'r2', 'r3']), 10_000)
  await settled(b, 'all')
  await a.boot()
  await until('nodea and nodeb see each other', async () => (await b.cmd('cl_status', 'nodestatus', 'nodea')) === 'active', 10_000)
  await settled(a, 'none')
  await settled(b, 'all')
  t.ok(runsExactly(a, []), 'nodea runs nothing')
  t.ok(runsExactly(b, ['r1', 'r2', 'r3']), 'nodeb keeps everything')
  // an admin moves them by hand
  await b.cmd('hb_standby', 'foreign')
  await until('r1 r2 back on nodea', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 15_000)
})

t.test('restart with the persisted generation: it grows, the peer accepts it, negotiation works', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  const first = generation(a)
  await powerCut(a)
  await until('nodeb takes r1 r2', () => runsExactly(b, ['r1', 'r2', 'r3']), 10_000)
  await a.boot()
  t.equal(generation(a), first + 1, 'the generation grew by one')
  await until('r1 r2 back on nodea', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 15_000)
  await settled(a, 'local')
  await settled(b, 'local')
  t.notMatch(b.haLog(), /replay/, 'nodeb did not take the new generation for a replay')
  // a graceful restart too: -k, then start again
  await a.stop()
  await until('nodeb runs everything', () => runsExactly(b, ['r1', 'r2', 'r3']), 10_000)
  await a.boot()
  t.equal(generation(a), first + 2)
  await until('r1 r2 back on nodea again', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 15_000)
})
