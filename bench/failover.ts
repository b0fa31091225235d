// bench/failover: power cuts in a two-node cluster of virtual nodes, halo and the real Heartbeat 3.0.6 side
// by side in one run, on one configuration (keepalive 200ms, deadtime 1, warntime 500ms, bcast, sha1,
// `nodea hbtest::r1 hbtest::r2`, auto_failback on). For each pair (who dies → who takes over): time from
// the cut to the first resource started on the peer and to the whole group; failback time (the owner boots
// again → the group runs on it again). Then idle CPU and PSS of one node of each kind. Goals: PASS/FAIL.
//   npm run bench:failover [-- --runs 10 --idle 60]
// Needs root and `node build.ts halo-heartbeat cl_status hb_standby hb_takeover`.
import { ClosableScope } from '../demo/scope.ts'
import { KIND_NAMES, cluster, type HaloNode, type NodeKind } from '../demo/hbtest/cluster.ts'
import { powerCut } from '../demo/hbtest/scenario.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { until } from '../lib/wait.ts'
import { STARTUP_DT_WINDOW_MS } from '../ha.d/engine.ts'
import { median, numberFlag } from './lib/measure.ts'
import { type IdleCost, idleCost } from './failover/node-cost.ts'

const runs = numberFlag('runs', 10)
const idleSeconds = numberFlag('idle', 60)
const DEADTIME_MS = 1000

interface PairFigures {
  label: string
  first: number[]
  whole: number[]
  failback: number[]
}

const both = (n: HaloNode) => n.running('r1') && n.running('r2')
/** ms from `since` (epoch ms) to the first start of `name` on node after it */
const startedAfter = (n: HaloNode, name: string, since: number) => {
  const e = n.hbtestLog().find((x) => x.action === 'start' && x.name === name && Number(x.ns / 1_000_000n) >= since)
  if (!e) throw new Error(`${n.name}: no start of ${name} after the cut`)
  return Number(e.ns) / 1e6 - since
}

async function pair(kinds: readonly [NodeKind, NodeKind], cost?: (node: HaloNode) => Promise<void>): Promise<PairFigures> {
  // the lab's cleanups run when the pair is done
  const s = new ClosableScope()
  const label = `${KIND_NAMES[kinds[0]]} → ${KIND_NAMES[kinds[1]]}`
  const figures: PairFigures = { label, first: [], whole: [], failback: [] }
  try {
    const [a, b] = await cluster(s, { kinds, auth: 'sha1', media: 'bcast', haresources: 'nodea hbtest::r1 hbtest::r2\n', keepalive: '200ms', deadtime: '1', warntime: '500ms', autoFailback: 'on' })
    await Promise.all([a.boot(), b.boot()])
    await until(`${label}: the group on nodea`, () => both(a), 30_000)
    if (cost) await cost(b)
    let since = Date.now()
    for (let i = 0; i < runs; i++) {
      // both engines advertise deadtime + 2 s for their first 5 s (as Heartbeat): cut after that window,
      // at a random point of the keepalive interval, as a real failure comes
      await sleep(Math.max(0, since + STARTUP_DT_WINDOW_MS + 500 - Date.now()) + Math.random() * 200)
      const cut = await powerCut(a)
      await until(`${label}: nodeb takes the group`, () => both(b), 15_000)
      figures.first.push(startedAfter(b, 'r1', cut))
      figures.whole.push(startedAfter(b, 'r2', cut))
      const boot = Date.now()
      await a.boot()
      await until(`${label}: the group back on nodea`, () => both(a) && !b.running('r1'), 30_000)
      figures.failback.push(startedAfter(a, 'r2', boot))
      since = boot
      process.stderr.write(`${label} #${i + 1}: failover ${figures.first.at(-1)!.toFixed(0)} / ${figures.whole.at(-1)!.toFixed(0)} ms, failback ${figures.failback.at(-1)!.toFixed(0)} ms\n`)
    }
  } finally {
    s.close()
  }
  return figures
}

const stats = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), mean: xs.reduce((a, b) => a + b, 0) / xs.length })
const f = (n: number) => n.toFixed(0).padStart(6)

async function main(): Promise<void> {
  const idle: Partial<Record<NodeKind, IdleCost>> = {}
  const measureIdle = (kind: NodeKind) => async (node: HaloNode) => {
    process.stderr.write(`idle ${KIND_NAMES[kind]} node for ${idleSeconds} s…\n`)
    idle[kind] = await idleCost(node.vm, idleSeconds)
  }
  const results = [
    await pair(['halo', 'halo'], measureIdle('halo')),
    await pair(['heartbeat', 'heartbeat'], measureIdle('heartbeat')),
    await pair(['halo', 'heartbeat']),
    await pair(['heartbeat', 'halo']),
  ]
  console.log(`\nfailover after a power cut, ${runs} runs each (ms; keepalive 200ms, deadtime 1, bcast, sha1)`)
  console.log(`${'who dies → who takes over'.padEnd(28)} ${'measure'.padEnd(16)} median    min    max   mean`)
  for (const r of results) {
    for (const [what, xs] of [['first resource', r.first], ['whole group', r.whole], ['failback', r.failback]] as const) {
      const s = stats(xs)
      console.log(`${r.label.padEnd(28)} ${what.padEnd(16)} ${f(s.median)} ${f(s.min)} ${f(s.max)} ${f(s.mean)}`)
    }
  }
  console.log(`\nidle, one node, ${idleSeconds} s: processes, CPU % of one core, PSS MB`)
  for (const kind of ['halo', 'heartbeat'] as const) {
    const c = idle[kind]!
    console.log(`${KIND_NAMES[kind].padEnd(10)} ${String(c.processes).padStart(3)} ${c.cpu.toFixed(2).padStart(6)} % ${c.pss.toFixed(1).padStart(6)} MB`)
  }
  const halo = median(results[0].first)
  const theirs = median(results[1].first)
  const goals = [
    [`halo median failover ${halo.toFixed(0)} ms ≤ deadtime + 100 ms (${DEADTIME_MS + 100})`, halo <= DEADTIME_MS + 100],
    [`ratio halo/Heartbeat ${(halo / theirs).toFixed(2)} ≤ 0.85`, halo / theirs <= 0.85],
    [`idle CPU halo ${idle.halo!.cpu.toFixed(2)} % ≤ Heartbeat ${idle.heartbeat!.cpu.toFixed(2)} %`, idle.halo!.cpu <= idle.heartbeat!.cpu],
  ] as const
  console.log('')
  for (const [what, ok] of goals) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`)
}

await main()
