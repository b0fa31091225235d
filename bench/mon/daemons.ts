/**
 * The two monitors under test, started on one mon.cf in a scratch directory, and what the bench reads of
 * them: the client protocol (is the service ok yet?), CPU ticks of the daemon and its reaped children
 * (/proc/PID/stat utime+stime+cutime+cstime, so mon's forked tcp.monitor scripts count) and RSS.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnDetached } from '../../lib/exec.ts'
import { waitForExit } from '../../lib/process.ts'
import { until } from '../../lib/wait.ts'

export const here = fileURLToPath(new URL('.', import.meta.url))
export const haloMon = fileURLToPath(new URL('../../dist/bin/halo-mon', import.meta.url))
export const realMon = '/usr/sbin/mon'

export interface Check {
  service: string
  port: number
}

/** One watch `loop` on 127.0.0.1, a tcp.monitor service per check, each alerting through stamp.alert. */
/** `interval`: 1s (mon's units, mon's 1 s tick) or 1000ms (halo's exact timer; mon cannot read it). */
export function monCf(dir: string, checks: readonly Check[], interval = '1s'): string {
  const services = checks.map(
    (c) => `    service ${c.service}
        STAMPS=${dir}/${c.service}.stamps
        interval ${interval}
        monitor tcp.monitor -p ${c.port} -t 1
        period wd {Sun-Sat}
            alert stamp.alert
`,
  )
  return `alertdir = ${here}
mondir = /usr/lib/mon/mon.d
statedir = ${dir}
logdir = ${dir}
cfbasedir = ${dir}
serverbind = 127.0.0.1
trapbind = 127.0.0.1

hostgroup loop 127.0.0.1

watch loop
${services.join('')}`
}

export interface Running {
  who: string
  pid: number
  port: number
  stop(): Promise<void>
}

/** Starts `who` in the foreground on dir/mon.cf, serving `port`; resolves once it answers there. */
export async function start(who: 'mon' | 'halo-mon', dir: string, port: number): Promise<Running> {
  const cf = join(dir, 'mon.cf')
  // mon refuses to start without an auth.cf; this one lets anyone list
  writeFileSync(join(dir, 'auth.cf'), 'list: all\n')
  const common = ['-c', cf, '-P', join(dir, `${who}.pid`), '-p', String(port), '-t', String(port)]
  const pid = spawnDetached(who === 'mon' ? [realMon, ...common] : [haloMon, ...common])
  const stop = async () => {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      return
    }
    if (!(await waitForExit([pid], performance.now() + 5000))) process.kill(pid, 'SIGKILL')
  }
  try {
    await until(`${who} to answer on ${port}`, async () => /^version/m.test(await ask(port, 'version').catch(() => '')), 15_000)
  } catch (e) {
    await stop()
    throw e
  }
  return { who, pid, port, stop }
}

/** One protocol command; resolves with the reply lines. */
export function ask(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(`${line}\nquit\n`))
    let said = ''
    s.setEncoding('utf8')
    s.on('data', (d: string) => (said += d))
    s.on('error', reject)
    s.on('close', () => resolve(said))
  })
}

export async function opstatus(port: number, service: string): Promise<number | undefined> {
  const m = /opstatus=(\d+)/.exec(await ask(port, `list opstatus loop,${service}`))
  return m ? Number(m[1]) : undefined
}

/** CPU time used by pid and its reaped children, in ms. */
export function cpuMs(pid: number): number {
  // the fields after the command's closing parenthesis: utime is the 12th of them
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  const ticks = fields.slice(11, 15).reduce((n, f) => n + Number(f), 0)
  // /proc counts in USER_HZ, which Linux fixes at 100 whatever the kernel's own tick
  return ticks * 10
}

export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(kb?.[1] ?? 0) / 1024
}

/** CPU % of one core used by pid (and children) over `seconds`. */
export async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const [cpu0, t0] = [cpuMs(pid), performance.now()]
  await new Promise((r) => setTimeout(r, seconds * 1000))
  return ((cpuMs(pid) - cpu0) / (performance.now() - t0)) * 100
}

export function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy())
    s.once('error', reject)
    s.listen(port, '127.0.0.1', () => resolve(s))
  })
}

export const close = (s: Server) => new Promise<void>((r) => s.close(() => r()))

export async function freePort(): Promise<number> {
  const s = await listen()
  const { port } = s.address() as { port: number }
  await close(s)
  return port
}
