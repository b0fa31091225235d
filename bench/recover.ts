// bench/recover: the application server killed (SIGKILL) on the example cluster (demo/stack.ts) → the
// next request its users get answered through the virtual IP (the kill is sent from the bench's own process,
// timed at the signal: demo/scenario.ts). Local recovery (the example's recovery.cf:
// the engine watches the server's pid file and restarts it in place) against today's failover (mon.cf's
// ha-down.alert: mon sees the ports closed, hb_standby all, the group to the peer). Each split at
// halo-mon's stop, which is the first thing either does once the failure reaches the engine (the group
// stops right to left): before it, detection (the engine's watch: tens of ms; mon: interval 2s, alertafter
// 2, 4 to 6 s); after it, the recovery. Also the application server's own start time (`halo
// demo-appserver start` on the standby node, from its exec to its ports listening), measured in the same run.
//   npm run bench:recover [-- --runs N]     (default 10; root; needs the programs built into dist/)
// Goal: the restart's median (kill → answered) within 100 ms of the server's own start time, and under a
// third of the failover's.
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PID_FILE } from '../demo/appserver.ts'
import { crash, ms, startRequests } from '../demo/scenario.ts'
import { ClosableScope } from '../demo/scope.ts'
import type { VirtualNode } from '../demo/node.ts'
import { buildStack, type MonAlert, type Stack } from '../demo/stack.ts'
import { serviceEnv } from '../lib/users.ts'
import { until } from '../lib/wait.ts'
import { median, numberFlag } from './lib/measure.ts'

const runs = numberFlag('runs', 10)
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number')
const bin = fileURLToPath(new URL('../dist/bin', import.meta.url))
/** the example's watch of the server, every crash restarted in place: the measure is of the restart, not of the policy */
const RESTART_ALWAYS = 'default migration-threshold=3 failure-timeout=10min\nappserver migration-threshold=INFINITY failure-timeout=10min watch=/run/linkserv.pid\n'

interface Measured {
  /** kill → the users' next answered request */
  total: number[]
  /** kill → halo-mon stopped (mon saw it, the alert reached the engine) */
  detect: number[]
  /** halo-mon stopped → answered */
  recover: number[]
  /** where the server ran again */
  where: string[]
  /** the server's own start time, on the standby node */
  start: number[]
  /** the engine's own time for the restart in place (its log: stop, then start, of the server and halo-mon) */
  engine: number[]
}

async function measure(alert: MonAlert): Promise<Measured> {
  const scope = new ClosableScope()
  try {
    const recoveryCf = alert === 'halo-recover' ? RESTART_ALWAYS : undefined
    const stack = await buildStack({ bin, scope, alert, recoveryCf, say: (s) => console.error(`# ${alert}: ${s}`) })
    const users = startRequests(stack, bin, scope)
    await users.commitAfter(0n)
    const m: Measured = { total: [], detect: [], recover: [], where: [], start: [], engine: [] }
    for (let i = 0; i < runs; i++) {
      await quiet(stack.node(stack.watcher.active()))
      const c = await crash(stack, users, 'appserver')
      const monDown = stack.watcher.find(c.at, c.from, 'mon down')
      m.total.push(ms(c.at, c.served))
      if (monDown) {
        m.detect.push(ms(c.at, monDown.at))
        m.recover.push(ms(monDown.at, c.served))
      }
      m.where.push(c.to)
      const restarted = [...readFileSync(stack.haLog(stack.node(c.to)), 'utf8').matchAll(/restarted in place in (\d+) ms/g)]
      if (c.to === c.from && restarted.length) m.engine.push(Number(restarted.at(-1)![1]))
      console.error(`# ${alert} run ${i + 1}: killed on ${c.from}, answered by ${c.to} after ${m.total.at(-1)!.toFixed(0)} ms (detection ${m.detect.at(-1)?.toFixed(0)} ms)`)
      await quiet(stack.node(c.to))
      m.start.push(await serverStart(stack, stack.nodes.find((n) => n.name !== c.to)!))
    }
    users.stop()
    if (stack.watcher.violations.length) console.log(`WARNING (${alert}): ${stack.watcher.violations[0]}`)
    return m
  } finally {
    scope.close()
  }
}

/**
 * The holder's recovery is over, halo-mon started, and its engine's Nodes for the agents are started
 * again (ha.d/warm-node.ts): the server's own start is measured on a quiet machine, as the next crash is.
 */
async function quiet(holder: VirtualNode): Promise<void> {
  const count = async (pattern: string) => (await holder.exec(['pgrep', '-c', '-f', pattern])).stdout.trim()
  await until(`${holder.name}'s halo-mon and two waiting Nodes`, async () => (await count('bin/halo-mon')) !== '0' && (await count('bin/warm-node')) === '2', 30_000)
}

/** the application server started on a node that runs nothing (its ports are free there), to its ports accepting; then stopped */
async function serverStart(stack: Stack, node: VirtualNode): Promise<number> {
  const halo = [process.execPath, join(bin, 'halo'), 'demo-appserver']
  // this server, started by the bench beside the cluster's, is no service running twice: the watcher's
  // finding of it is dropped, so a real one stays the warning's first
  const violations = stack.watcher.violations.length
  // the environment the appserver agent gives the server (lib/users.ts), not the bench's own
  const env = serviceEnv({ name: 'root', uid: 0, gid: 0, home: '/root' }, { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' })
  // from the exec of the start command (perl notes the time, then execs it: nsenter's own start-up is not
  // the server's) to both ports listening (the server writes its pid file right after)
  const stamp = ['perl', '-MTime::HiRes=time', '-e', '$| = 1; printf "%.6f\\n", time; exec @ARGV or die "$ARGV[0]: $!\\n"']
  const r = await node.exec([...stamp, ...halo, 'start'], { env })
  if (r.code !== 0) throw new Error(`${node.name}: demo-appserver start: ${r.stderr}`)
  const took = statSync(node.path(PID_FILE)).mtimeMs - Number(r.stdout.split('\n')[0]) * 1000
  await node.exec([...halo, 'stop'], { env })
  // stop sends TERM: gone before the next crash, which wants the group on one node alone
  await until(`the server to stop on ${node.name}`, () => !stack.watcher.runs(node.name).has('appserver'), 10_000)
  stack.watcher.violations.splice(violations)
  return took
}

const restart = await measure('halo-recover')
const failover = await measure('ha-down')
const start = median([...restart.start, ...failover.start])
const row = (what: string, m: Measured) =>
  `${what.padEnd(34)} ${median(m.total).toFixed(0).padStart(8)} ${median(m.detect).toFixed(0).padStart(10)} ${median(m.recover).toFixed(0).padStart(9)}   ${[...new Set(m.where)].join(', ')}`
console.log(`\napplication server killed → next answered request (median of ${runs} runs, ms)`)
console.log(`${'recovery'.padEnd(34)} ${'total'.padStart(8)} ${'detection'.padStart(10)} ${'recovery'.padStart(9)}   served by`)
console.log(row('restart in place (watch=)', restart))
console.log(row('failover (ha-down.alert)', failover))
console.log(`${"the server's own start".padEnd(34)} ${start.toFixed(0).padStart(8)}`)
if (restart.engine.length) console.log(`${"the engine's restart (its log)".padEnd(34)} ${median(restart.engine).toFixed(0).padStart(8)}   stop and start of the server and halo-mon`)
const overStart = median(restart.total) - start
const third = median(restart.total) / median(failover.total)
console.log(`\nrestart's total ${median(restart.total).toFixed(0)} ms: ${overStart.toFixed(0)} ms over the server's own start (goal: within 100 ms)`)
console.log(`restart's total ${median(restart.total).toFixed(0)} ms is ${(third * 100).toFixed(0)} % of the failover's ${median(failover.total).toFixed(0)} ms (goal: under 33 %)`)
console.log(`${overStart <= 100 && third < 1 / 3 ? 'PASS' : 'FAIL'}: restart ${median(restart.total).toFixed(0)} ms, failover ${median(failover.total).toFixed(0)} ms, server start ${start.toFixed(0)} ms`)
