// bench/mon: the real mon and halo-mon on the same mon.cf (one tcp.monitor service, `interval 1s`, an alert
// that stamps the time), one after the other in one run: from closing the listener to the alert, then idle
// CPU and RSS; then halo-mon with `interval 1000ms` (its exact timer, which mon cannot read); then halo-mon
// alone with many services. Goals: PASS/FAIL lines at the end.
//   npm run bench:mon [-- --trials 10 --idle 30 --services 1000 --listeners 10 --window 30]
// The services share `listeners` ports, round robin: --listeners 1000 gives each its own (no two checks
// can then share a connection).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundle } from '../build.ts'
import { until } from '../lib/wait.ts'
import { median, numberFlag } from './lib/measure.ts'
import { ask, type Check, close, cpuPercent, freePort, haloMon, listen, monCf, opstatus, realMon, rssMb, type Running, start } from './mon/daemons.ts'

const trials = numberFlag('trials', 10)
const idleSeconds = numberFlag('idle', 30)
const services = numberFlag('services', 1000)
const windowSeconds = numberFlag('window', 30)
const listeners = numberFlag('listeners', 10)
const INTERVAL_MS = 1000

interface Figures {
  who: string
  latency: number[]
  cpu: number
  rss: number
}

const stamps = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((ns) => Number(BigInt(ns) / 1_000_000n)) : [])

/** Closes the listener once the service is ok, waits for the alert: ms from the close to its stamp. */
async function trial(d: Running, dir: string, port: number): Promise<number> {
  const server = await listen(port)
  await until(`${d.who} to see the service up`, async () => (await opstatus(d.port, 'tcp')) === 1, 15_000)
  const file = join(dir, 'tcp.stamps')
  const before = stamps(file).length
  // at a random point of the interval: right after a check the next one is a whole interval away
  await new Promise((r) => setTimeout(r, Math.random() * INTERVAL_MS))
  const closedAt = Date.now()
  await close(server)
  await until(`${d.who} to alert`, () => stamps(file).length > before, 15_000)
  return stamps(file)[before] - closedAt
}

async function measure(who: 'mon' | 'halo-mon', port: number, interval = '1s'): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mon-'))
  writeFileSync(join(dir, 'mon.cf'), monCf(dir, [{ service: 'tcp', port }], interval))
  const d = await start(who, dir, await freePort())
  try {
    const latency: number[] = []
    for (let i = 0; i < trials; i++) latency.push(await trial(d, dir, port))
    // idle: the listener up, every check a success
    const server = await listen(port)
    try {
      await until(`${who} to see the service up`, async () => (await opstatus(d.port, 'tcp')) === 1, 15_000)
      const cpu = await cpuPercent(d.pid, idleSeconds)
      return { who: interval === '1s' ? who : `${who} ${interval}`, latency, cpu, rss: rssMb(d.pid) }
    } finally {
      await close(server)
    }
  } finally {
    await d.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** halo-mon with `services` tcp.monitor services at 1 s, against listeners on 127.0.0.1. */
async function many(): Promise<{ cpu: number; rss: number; ok: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mon-'))
  const servers = await Promise.all(Array.from({ length: listeners }, () => listen()))
  try {
    const ports = servers.map((s) => (s.address() as { port: number }).port)
    const checks: Check[] = Array.from({ length: services }, (_, i) => ({ service: `s${i}`, port: ports[i % ports.length] }))
    writeFileSync(join(dir, 'mon.cf'), monCf(dir, checks))
    const d = await start('halo-mon', dir, await freePort())
    try {
      // past the start, when every service is checked at once
      await until('every service checked once', async () => (await opstatus(d.port, `s${services - 1}`)) === 1, 30_000)
      const cpu = await cpuPercent(d.pid, windowSeconds)
      const ok = (await ask(d.port, 'list successes')).split('\n').filter((l) => / opstatus=1 /.test(l)).length
      return { cpu, rss: rssMb(d.pid), ok }
    } finally {
      await d.stop()
    }
  } finally {
    await Promise.all(servers.map(close))
    rmSync(dir, { recursive: true, force: true })
  }
}

await bundle(join(import.meta.dirname, '../mon/bin/halo-mon.ts'), haloMon)
const port = await freePort()
const results: Figures[] = []
if (existsSync(realMon)) results.push(await measure('mon', port))
else console.log(`${realMon} is not installed: halo-mon alone`)
results.push(await measure('halo-mon', port))
results.push(await measure('halo-mon', port, '1000ms'))

const f = (n: number) => n.toFixed(0).padStart(7)
console.log(`\nlistener closed → failure alert, interval 1s (${trials} trials, ms); idle over ${idleSeconds} s`)
console.log(`${'daemon'.padEnd(17)} ${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)} ${'CPU %'.padStart(7)} ${'RSS MB'.padStart(7)}`)
for (const r of results) {
  console.log(`${r.who.padEnd(17)} ${f(median(r.latency))} ${f(Math.min(...r.latency))} ${f(Math.max(...r.latency))} ${r.cpu.toFixed(2).padStart(7)} ${r.rss.toFixed(1).padStart(7)}`)
}
const m = await many()
console.log(`\nhalo-mon, ${services} tcp.monitor services on ${listeners} ports at interval 1s, over ${windowSeconds} s: CPU ${m.cpu.toFixed(2)} % of one core, RSS ${m.rss.toFixed(1)} MB, ${m.ok} ok`)

const [sameCf, exact] = results.slice(-2)
const mon = results.find((r) => r.who === 'mon')
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL')
// on mon's units halo-mon keeps mon's cadence (its 1 s tick), so it is measured against mon itself
if (mon) console.log(`\n${verdict(median(sameCf.latency) <= median(mon.latency) + 50)} halo-mon alert median ${median(sameCf.latency).toFixed(0)} ms on the same mon.cf (goal: mon's ${median(mon.latency).toFixed(0)} ms + 50 ms)`)
console.log(`${verdict(median(exact.latency) <= INTERVAL_MS + 50)} halo-mon alert median ${median(exact.latency).toFixed(0)} ms at interval 1000ms (goal: interval + 50 ms = ${INTERVAL_MS + 50} ms)`)
console.log(`${verdict(m.cpu < 5 && m.ok === services)} ${services} services: ${m.cpu.toFixed(2)} % of one core, ${m.ok} ok (goal: under 5 %, all ok)`)
