// bench/fence: failover with fencing through real BMCs (one ipmi_sim per virtual node), a halo pair and a
// Heartbeat 3.0.6 pair on the same ha.cf (`stonith_host * external/ipmi …` for both nodes, keepalive 200ms,
// deadtime 1, bcast, sha1, `nodea hbtest::r1 hbtest::r2`, auto_failback on), in one run:
//   - power cut of nodea → r1 started on nodeb (the BMC is asked, and confirms, before the takeover);
//   - frozen nodea (every process stopped) → nodea reset by nodeb through its BMC → r1 started again;
//   - false deaths under 30 % and 60 % heartbeat loss (bench/fence/loss.ts), fencing on or not alike.
// Goals: halo's power-cut median ≤ deadtime + the device's own time + 100 ms and ≤ 0.85 × Heartbeat's;
// false deaths ≤ Heartbeat's.
//   npm run bench:fence [-- --runs 10 --loss-seconds 60]
// Needs root, the test packages (heartbeat, cluster-glue, openipmi, ipmitool) and `npm run build`.
import { setTimeout as sleep } from 'node:timers/promises'
import { ClosableScope } from '../demo/scope.ts'
import { STARTUP_DT_WINDOW_MS } from '../ha.d/engine.ts'
import { until } from '../lib/wait.ts'
import { KIND_NAMES, cluster, type HaloNode, type NodeKind } from '../demo/hbtest/cluster.ts'
import { fenceWith, nowNs, switchesSince } from '../demo/hbtest/fencing.ts'
import { engineStatus, powerCut } from '../demo/hbtest/scenario.ts'
import { type LossFigures, falseDeaths } from './fence/loss.ts'
import { median, numberFlag } from './lib/measure.ts'

const runs = numberFlag('runs', 10)
const lossSeconds = numberFlag('loss-seconds', 60)
const DEADTIME_MS = 1000

interface Figures {
  kind: NodeKind
  /** power cut → r1 started again (nodeb, or nodea when Heartbeat's reset powered it on), ms */
  cut: number[]
  /** the fence device's own time for each cut (halo: from its fence record), ms */
  device: number[]
  /** freeze → nodea powered off, ms */
  frozenOff: number[]
  /** freeze → r1 started again (on nodeb, or on nodea rebooted by the reset), ms */
  frozen: number[]
}

const both = (n: HaloNode) => n.running('r1') && n.running('r2')
/** ms from `sinceNs` to the first start of r1 after it, on either node */
const r1Again = (nodes: readonly HaloNode[], sinceNs: bigint) =>
  Math.min(...nodes.flatMap((n) => n.hbtestLog().filter((e) => e.action === 'start' && e.name === 'r1' && e.ns >= sinceNs)).map((e) => Number(e.ns - sinceNs) / 1e6))

/**
 * Brings the group home to nodea and waits out its young deadtime. Heartbeat's reset powered nodea on before
 * its takeover; halo left a node found off as it was: boot it.
 */
async function home(a: HaloNode, b: HaloNode): Promise<void> {
  if (!a.vm.up) await a.boot()
  await until('the group back on nodea', () => both(a) && !b.running('r1'), 60_000)
  // a freshly booted engine advertises deadtime + 2 s for 5 s (as Heartbeat): cut after that window, at a
  // random point of the keepalive interval, as a real failure comes
  await sleep(STARTUP_DT_WINDOW_MS + 500 + Math.random() * 200)
}

async function pair(kind: NodeKind): Promise<Figures> {
  const s = new ClosableScope()
  const figures: Figures = { kind, cut: [], device: [], frozenOff: [], frozen: [] }
  try {
    const [a, b] = await cluster(s, { kinds: [kind, kind], bmc: true, haresources: 'nodea hbtest::r1 hbtest::r2\n', keepalive: '200ms', deadtime: '1', warntime: '500ms', autoFailback: 'on' })
    fenceWith([a, b], 'external/ipmi')
    await Promise.all([a.boot(), b.boot()])
    await home(a, b)
    for (let i = 0; i < runs; i++) {
      const cut = nowNs()
      await powerCut(a)
      // Heartbeat's reset powers the dead node on: it may win its group back before nodeb starts it
      await until(`${kind}: r1 started again`, () => b.running('r1') || a.running('r1'), 30_000)
      figures.cut.push(r1Again([a, b], cut))
      if (kind === 'halo') figures.device.push((await engineStatus(b)).fencing!.history.at(-1)!.ms)
      process.stderr.write(`${KIND_NAMES[kind]} power cut #${i + 1}: ${figures.cut.at(-1)!.toFixed(0)} ms\n`)
      await home(a, b)
    }
    for (let i = 0; i < runs; i++) {
      const frozen = nowNs()
      await a.freeze()
      await until(`${kind}: nodea powered off`, () => switchesSince(a, frozen).includes('off'), 30_000)
      const off = a.powerLog().find((e) => e.ns >= frozen && e.event === 'off')!
      figures.frozenOff.push(Number(off.ns - frozen) / 1e6)
      // reset: nodea boots again at once here (a real server takes minutes) and may win its group back
      // before nodeb starts it: count the first start of r1 on either node
      await until(`${kind}: r1 started again`, () => Number.isFinite(r1Again([a, b], frozen)), 30_000)
      figures.frozen.push(r1Again([a, b], frozen))
      process.stderr.write(`${KIND_NAMES[kind]} frozen #${i + 1}: off after ${figures.frozenOff.at(-1)!.toFixed(0)} ms, r1 started again after ${figures.frozen.at(-1)!.toFixed(0)} ms\n`)
      await a.thaw()
      await home(a, b)
    }
  } finally {
    s.close()
  }
  return figures
}

const f = (n: number) => n.toFixed(0).padStart(6)
const row = (label: string, xs: number[]) => (xs.length ? `${label.padEnd(34)} ${f(median(xs))} ${f(Math.min(...xs))} ${f(Math.max(...xs))}` : `${label.padEnd(34)}      -`)

async function main(): Promise<void> {
  const results = [await pair('halo'), await pair('heartbeat')]
  const loss: LossFigures[] = []
  for (const pct of [30, 60]) for (const kind of ['halo', 'heartbeat'] as const) loss.push(await falseDeaths(kind, pct, lossSeconds))

  console.log(`\nfencing through ipmi_sim BMCs with external/ipmi, ${runs} runs each (ms; keepalive 200ms, deadtime 1)`)
  console.log(`${''.padEnd(34)} median    min    max`)
  for (const r of results) {
    console.log(row(`${KIND_NAMES[r.kind]}: power cut → r1 again`, r.cut))
    if (r.device.length) console.log(row(`${KIND_NAMES[r.kind]}:   of which the device`, r.device))
    console.log(row(`${KIND_NAMES[r.kind]}: freeze → powered off`, r.frozenOff))
    console.log(row(`${KIND_NAMES[r.kind]}: freeze → r1 again`, r.frozen))
  }
  console.log(`\nfalse deaths with heartbeat loss both ways for ${lossSeconds} s (deaths declared; takeovers)`)
  for (const l of loss) console.log(`${`${KIND_NAMES[l.kind]} ${l.loss} %`.padEnd(16)} ${String(Object.values(l.deaths).reduce((x, y) => x + y, 0)).padStart(4)}  ${String(l.takeovers).padStart(4)}`)

  const [halo, theirs] = results
  const deaths = (kind: NodeKind, pct: number) => Object.values(loss.find((l) => l.kind === kind && l.loss === pct)!.deaths).reduce((x, y) => x + y, 0)
  const goal = DEADTIME_MS + median(halo.device) + 100
  const goals = [
    [`halo power-cut median ${median(halo.cut).toFixed(0)} ms ≤ deadtime + device ${median(halo.device).toFixed(0)} ms + 100 ms (${goal.toFixed(0)})`, median(halo.cut) <= goal],
    [`ratio halo/Heartbeat ${(median(halo.cut) / median(theirs.cut)).toFixed(2)} ≤ 0.85`, median(halo.cut) / median(theirs.cut) <= 0.85],
    ...[30, 60].map((pct) => [`false deaths at ${pct} %: halo ${deaths('halo', pct)} ≤ Heartbeat ${deaths('heartbeat', pct)}`, deaths('halo', pct) <= deaths('heartbeat', pct)] as const),
  ] as const
  console.log('')
  for (const [what, ok] of goals) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`)
}

await main()
