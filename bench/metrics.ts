// bench/metrics: what the metrics endpoint costs the idle engine. A two-node halo cluster of virtual nodes
// (the lab's groups: r1 r2 on nodea, r3 on nodeb); one node with HALO_METRICS on loopback, scraped
// (GET /metrics) every 15 s as Prometheus would, the other without; both nodes' CPU over the same idle
// window. Then again with the roles swapped, so the nodes' own difference cancels out. Goal: ≤ 0.1 % more.
//   npm run bench:metrics [-- --idle 60 --every 15]
// Needs root and `node build.ts halo-heartbeat cl_status hb_standby hb_takeover`.
import { ClosableScope } from '../demo/scope.ts'
import { cluster } from '../demo/hbtest/cluster.ts'
import { METRICS_PORT, scrape } from '../demo/hbtest/metrics.ts'
import { atHome } from '../demo/hbtest/scenario.ts'
import { numberFlag } from './lib/measure.ts'
import { idleCost } from './failover/node-cost.ts'

const idleSeconds = numberFlag('idle', 60)
const everySeconds = numberFlag('every', 15)
const GOAL = 0.1

interface Round {
  on: string
  cpuOn: number
  cpuOff: number
  scrapes: number
}

async function round(withMetrics: 'nodea' | 'nodeb'): Promise<Round> {
  const s = new ClosableScope()
  try {
    const env = (node: string): Record<string, string> => (node === withMetrics ? { HALO_METRICS: `127.0.0.1:${METRICS_PORT}` } : {})
    const [a, b] = await cluster(s, { engineEnv: env })
    await Promise.all([a.boot(), b.boot()])
    await atHome(a, b)
    const [on, off] = withMetrics === 'nodea' ? [a, b] : [b, a]
    let scrapes = 0
    const scrapeOnce = async () => {
      const r = await scrape(on, `http://127.0.0.1:${METRICS_PORT}/metrics`)
      if (r.status !== 200) throw new Error(`${on.name}: /metrics answered ${r.status}`)
      scrapes++
    }
    process.stderr.write(`${withMetrics} with the endpoint, scraped every ${everySeconds} s; both idle for ${idleSeconds} s…\n`)
    const timer = setInterval(() => void scrapeOnce().catch((e: Error) => process.stderr.write(`${e.message}\n`)), everySeconds * 1000)
    const costs = idleCost(on.vm, idleSeconds)
    const base = idleCost(off.vm, idleSeconds)
    await scrapeOnce()
    const [cOn, cOff] = await Promise.all([costs, base])
    clearInterval(timer)
    return { on: withMetrics, cpuOn: cOn.cpu, cpuOff: cOff.cpu, scrapes }
  } finally {
    s.close()
  }
}

async function main(): Promise<void> {
  const rounds = [await round('nodea'), await round('nodeb')]
  console.log(`\nidle engine CPU (% of one core) over ${idleSeconds} s, /metrics scraped every ${everySeconds} s on one node`)
  console.log(`${'endpoint on'.padEnd(12)} ${'scrapes'.padStart(7)} ${'on'.padStart(7)} ${'off'.padStart(7)} ${'more'.padStart(7)}`)
  for (const r of rounds) console.log(`${r.on.padEnd(12)} ${String(r.scrapes).padStart(7)} ${r.cpuOn.toFixed(3).padStart(7)} ${r.cpuOff.toFixed(3).padStart(7)} ${(r.cpuOn - r.cpuOff).toFixed(3).padStart(7)}`)
  const more = rounds.reduce((n, r) => n + r.cpuOn - r.cpuOff, 0) / rounds.length
  console.log(`\n${more <= GOAL ? 'PASS' : 'FAIL'}  the endpoint adds ${more.toFixed(3)} % CPU to the idle engine (mean of both rounds) ≤ ${GOAL} %`)
}

await main()
