// The event history in a two-node cluster: a power cut of the holder is a death and a takeover with an
// ordered timeline in the survivor's journal (and `halo history --last` tells it); a standby asked by a
// halo-mon alert through hb_standby names its origin, and so does one through Heartbeat's FIFO; with
// fencing, the fence is a step of the timeline; the journal survives an engine restart.
import t from 'tap'
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type HaloNode, bin, cluster } from '../harness/cluster.ts'
import { until } from '../../lib/wait.ts'
import { powerCut, runsExactly, settled } from '../harness/scenario.ts'
import { fenceWith } from '../harness/fencing.ts'
import { type HistoryEvent, readHistory } from '../../ha.d/history.ts'

const journal = (node: HaloNode) => readHistory(join(node.dir, 'var/lib/halo/history.jsonl'))
const kinds = (node: HaloNode, kind: HistoryEvent['kind']) => journal(node).filter((e) => e.kind === kind)

async function recorded(node: HaloNode, kind: HistoryEvent['kind'], count = 1): Promise<HistoryEvent[]> {
  await until(`${node.name} has recorded ${count} ${kind}`, () => kinds(node, kind).length >= count, 15_000)
  return kinds(node, kind)
}

t.test('a power cut of the holder: the survivor records the death and the takeover with its timeline', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  await powerCut(a)
  await until('nodeb runs everything', () => runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  const [takeover] = await recorded(b, 'takeover')
  const [dead] = kinds(b, 'node-dead')
  t.match(dead, { node: 'nodeb', peer: 'nodea', text: /^node nodea is dead \(silent for \d+ ms; deadtime \d+ ms\)$/ })
  t.match(takeover, { node: 'nodeb', peer: 'nodea', set: 'foreign', cause: 'nodea declared dead', ok: true })
  t.ok(Date.parse(takeover.at) >= Date.parse(dead.at), 'the takeover after the death')
  const steps = takeover.timeline!
  t.same(
    steps.map((s) => s.what.replace(/\d+ ms/, 'N ms')),
    ['last heartbeat from nodea', 'node nodea declared dead (deadtime N ms)', 'hbtest::r1 started', 'hbtest::r2 started', 'everything running: the service answers here'],
  )
  t.same(steps.map((s) => s.ms), [...steps.map((s) => s.ms)].sort((x, y) => x - y), 'the steps are in order')
  t.same(steps.map((s) => s.at), [...steps.map((s) => s.at)].sort(), 'and so are their times')
  t.equal(steps[0].ms, 0)
  t.equal(takeover.ms, steps.at(-1)!.ms, 'the duration is the timeline: last heartbeat to everything running')
  t.ok(steps[1].ms >= 1000, 'declared dead after its deadtime (1 s)')

  const last = await b.cmd('halo', 'history', '--last')
  const lines = last.split('\n')
  t.match(lines[0], /nodeb took over \[foreign\] from nodea \(nodea declared dead\) in \d+ ms$/)
  t.match(lines.slice(1), [/^ +\+0 ms  last heartbeat from nodea$/, /declared dead/, /hbtest::r1 started$/, /hbtest::r2 started$/, /everything running/])

  // an engine restart: what was recorded stays, the new life is added
  await b.stop()
  await b.boot()
  await settled(b, 'all')
  const after = journal(b)
  t.same(after.filter((e) => e.kind === 'engine-start').length, 2, 'two starts')
  t.same(after.filter((e) => e.kind === 'engine-stop').length, 1, 'one clean stop between them')
  t.same(after.filter((e) => e.kind === 'takeover'), [takeover], 'the takeover is still there, unchanged')
  t.match(after.at(-1), { kind: 'start-alone', set: 'all', text: /^started without nodea and took \[all\]/ }, 'starting alone is no failover')
  t.ok(after.findIndex((e) => e.kind === 'engine-stop') > after.findIndex((e) => e.kind === 'takeover'), 'in order')
})

t.test("a standby asked by halo-mon's alert through hb_standby is recorded with its origin", async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  // the example's ha-down.alert, with halo's hb_standby; halo-mon runs it with what it saw in MON_*
  const alert = join(a.dir, 'usr/lib/mon/alert.d/ha-down.alert')
  writeFileSync(alert, `#!/bin/bash\n${bin('hb_standby')} all\nexit $?\n`)
  chmodSync(alert, 0o755)
  const env = { ...process.env, MON_GROUP: 'cluster', MON_SERVICE: 'mysql', MON_LAST_SUMMARY: '10.251.0.10:3306 connection refused' }
  const r = await a.vm.exec(['/usr/lib/mon/alert.d/ha-down.alert', '-s', 'mysql', '-g', 'cluster'], { env, timeout: 10_000 })
  t.equal(r.code, 0, r.stderr)
  await until('everything on nodeb', () => runsExactly(a, []) && runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  const [standby] = await recorded(a, 'standby')
  t.match(standby, {
    node: 'nodea',
    set: 'all',
    origin: 'hb_standby run by ha-down.alert (halo-mon alert for cluster/mysql: 10.251.0.10:3306 connection refused)',
    text: /^going standby \[all\], asked by hb_standby run by ha-down\.alert/,
  })
  const [takeover] = await recorded(b, 'takeover')
  t.match(takeover, { peer: 'nodea', set: 'foreign', cause: 'nodea went standby', ok: true })
  t.match(takeover.timeline!.map((s) => s.what), ['node nodea asked to go standby [all]', 'hbtest::r1 started', 'hbtest::r2 started', /everything running/])

  // Heartbeat's own hb_standby script writes the FIFO: the origin says so
  copyFileSync('/etc/ha.d/shellfuncs', join(b.vm.dir, 'etc/ha.d/shellfuncs'))
  const fifo = await b.vm.exec(['/usr/share/heartbeat/hb_standby', 'foreign'], { timeout: 10_000 })
  t.equal(fifo.code, 0, fifo.stderr)
  const [viaFifo] = await recorded(b, 'standby')
  t.match(viaFifo, { node: 'nodeb', set: 'foreign', origin: /^a script through Heartbeat's FIFO \/var\/lib\/heartbeat\/fifo/ })
  await until('r1 r2 back on nodea', () => runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 15_000)
})

t.test('with fencing, the fence is a step of the takeover, between the death and the first start', async (t) => {
  const [a, b] = await cluster(t, { bmc: true, haresources: 'nodea hbtest::r1 hbtest::r2\n' })
  fenceWith([a, b], 'external/ipmi')
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  await powerCut(a)
  await until('nodeb takes r1 r2', () => runsExactly(b, ['r1', 'r2']), 20_000)
  const [takeover] = await recorded(b, 'takeover')
  const [fence] = kinds(b, 'fence')
  t.match(fence, { peer: 'nodea', ok: true, text: /^nodea found powered off by external\/ipmi \(.*ha\.cf:\d+\) in \d+ ms: counted as fenced$/ })
  const steps = takeover.timeline!.map((s) => s.what)
  t.same(steps.slice(2, 4), [fence.text, 'hbtest::r1 started'], 'declared dead, fenced, then started')
  t.match(steps[1], /declared dead/)
})
