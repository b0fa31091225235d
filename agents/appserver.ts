/**
 * appserver: a Java-style application server (AggreGate's linkserv, Tomcat, JBoss…) that is up when all
 * its TCP ports accept connections. Started by its init script (`/etc/init.d/linkserv start`) or run
 * directly (binary + arguments), detached from the agent, as its user, in its directory.
 * start: launch, succeed when every port accepts (fail at once, with its log, if it dies first).
 * monitor: 0 the process and its ports, 10 also the health URL answering 2xx.
 * stop: the init script's stop, else TERM to the server and all it forked; KILL at stop_timeout.
 * haresources: appserver::/etc/init.d/linkserv::/var/run/linkserv.pid::6460,8443
 */
import { closeSync, existsSync, rmSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { writeFileAtomic } from '../lib/atomic.ts'
import { HaloError } from '../lib/errors.ts'
import { describeFailure, run, spawnDetached } from '../lib/exec.ts'
import { appendFor } from '../lib/files.ts'
import { fileSize, tailSince } from '../lib/logtail.ts'
import { OCF } from '../lib/ocf/codes.ts'
import { runAgent } from '../lib/ocf/run.ts'
import { defineAgent, type ActionContext } from '../lib/ocf/spec.ts'
import { isAlive, pidFileProcess, processUids, waitForExit } from '../lib/process.ts'
import { connect, describeResult, waitForPorts, type Endpoint } from '../lib/tcp.ts'
import { account, serviceEnv, type Account } from '../lib/users.ts'
import { splitWords } from '../lib/words.ts'
import { processGroup } from './appserver/group.ts'
import { checkHealth } from './appserver/health.ts'

const parameters = {
  init_script: {
    type: 'string',
    shortdesc: 'init script (start/stop)',
    longdesc: 'Run as "SCRIPT start" and "SCRIPT stop", e.g. /etc/init.d/linkserv for AggreGate. The script must write the pid file. Give this or binary.',
  },
  binary: { type: 'string', shortdesc: 'server program', longdesc: 'Run directly and detached, in a session of its own; the agent writes the pid file. Give this or init_script.' },
  arguments: { type: 'string', shortdesc: "binary's arguments", longdesc: 'Split into words like a shell would, without expanding anything: -Xmx2g -jar "/opt/My App/server.jar".' },
  user: { type: 'string', default: 'root', shortdesc: 'user the server runs as', longdesc: 'The start command (binary or init script) runs as this user, in its primary group.' },
  directory: { type: 'string', default: '/', shortdesc: 'working directory', longdesc: 'The start command runs here (AggreGate: /opt/AggreGate).' },
  pid: { type: 'string', unique: true, shortdesc: 'pid file', longdesc: 'Required with init_script (where the script writes it); with binary, default /run/appserver-<resource>.pid.' },
  ports: { type: 'string', shortdesc: 'TCP ports that must accept connections', longdesc: 'Blank- or comma-separated, e.g. "6460 8443" (AggreGate: 6460 for agents, 8443 for the web UI). Start waits for all; monitor checks all.' },
  host: { type: 'string', default: '127.0.0.1', shortdesc: 'address the ports are checked on', longdesc: 'The server must listen there; 127.0.0.1 unless it binds only the cluster address.' },
  health_url: { type: 'string', shortdesc: 'health URL (monitor depth 10)', longdesc: 'http:// or https:// URL that answers 2xx when the application serves, e.g. http://127.0.0.1:8080/health.' },
  stop_timeout: { type: 'time', shortdesc: 'time from TERM (or the script stop) to KILL', longdesc: 'Default: until the stop action is nearly out of time (5 s before its end, or a fifth of a short timeout).' },
  log: { type: 'string', shortdesc: "file for the server's output", longdesc: 'stdout and stderr of binary are appended here (else discarded); a failed start quotes its last lines.' },
} as const

type Ctx = ActionContext<typeof parameters>

const bad = (name: string, why: string) => new HaloError(OCF.ERR_CONFIGURED, `parameter ${name}: ${why}`)

function ports({ params }: Ctx): Endpoint[] {
  const list = (params.ports ?? '').split(/[\s,]+/).filter(Boolean)
  return list.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw bad('ports', `"${p}" is not a TCP port (1-65535)`)
    return { host: params.host, port: Number(p) }
  })
}

function healthUrl({ params }: Ctx): URL | undefined {
  if (params.health_url === undefined) return undefined
  const url = URL.canParse(params.health_url) ? new URL(params.health_url) : undefined
  if (!url || !['http:', 'https:'].includes(url.protocol)) throw bad('health_url', `"${params.health_url}" is not an http:// or https:// URL`)
  return url
}

const pidFile = ({ params, instance }: Ctx) => params.pid ?? `/run/appserver-${instance.replace(/[^\w.-]/g, '_')}.pid`

function validate(ctx: Ctx): void {
  const p = ctx.params
  if ((p.init_script === undefined) === (p.binary === undefined)) throw bad('init_script', 'give either init_script or binary (exactly one)')
  if (p.init_script !== undefined && p.pid === undefined) throw bad('pid', 'is required with init_script: the agent must know which process the script started')
  for (const name of ['init_script', 'directory', 'pid', 'log'] as const) {
    if (p[name] !== undefined && !isAbsolute(p[name]!)) throw bad(name, `"${p[name]}" is not an absolute path`)
  }
  if (p.arguments !== undefined && p.binary === undefined) throw bad('arguments', 'only goes with binary')
  splitWords(p.arguments ?? '', 'arguments')
  ports(ctx)
  healthUrl(ctx)
  if (ctx.action === 'start' || ctx.action === 'validate-all') {
    if (!existsSync(p.directory)) throw new HaloError(OCF.ERR_INSTALLED, `parameter directory: ${p.directory} does not exist here`)
  }
}

/**
 * The server's pid, when the pid file names a live process started before it was written; a stale pid file
 * is a crash, not a stop. With the server's account (start and stop, which act on the pid), the process
 * must also run as its user: the pid file may be in a directory that user writes.
 */
function server(ctx: Ctx, a?: Account): { pid?: number; stale?: string } {
  const { pid, gone } = pidFileProcess(pidFile(ctx), { uid: a?.uid })
  return gone ? { stale: gone } : { pid }
}

const left = (ctx: Ctx, margin = 0) => Math.max(1, ctx.deadline - performance.now() - margin)

async function monitor(ctx: Ctx): Promise<number> {
  const { pid, stale } = server(ctx)
  if (stale) throw new HaloError(OCF.ERR_GENERIC, stale)
  if (pid === undefined) return OCF.NOT_RUNNING
  const answers = await Promise.all(ports(ctx).map((e) => connect(e, Math.min(5000, left(ctx, 100)))))
  const failing = answers.filter((r) => r.status !== 'ok')
  if (failing.length) throw new HaloError(OCF.ERR_GENERIC, `the server (pid ${pid}) runs but ${failing.map(describeResult).join(', ')}`)
  const url = healthUrl(ctx)
  if (ctx.depth >= 10 && url) await checkHealth(url, Math.min(10_000, left(ctx, 100)))
  return OCF.SUCCESS
}

async function start(ctx: Ctx): Promise<number> {
  const p = ctx.params
  const a = await account(p.user)
  let { pid, stale } = server(ctx, a)
  if (stale) {
    ctx.log.warn(`${stale}; removing its pid file`)
    rmSync(pidFile(ctx), { force: true })
  }
  const endpoints = ports(ctx)
  const logFrom = p.log ? fileSize(p.log) : 0
  if (pid === undefined) {
    const taken = (await Promise.all(endpoints.map((e) => connect(e, Math.min(1000, left(ctx)))))).filter((r) => r.status === 'ok')
    if (taken.length) throw new HaloError(OCF.ERR_GENERIC, `${taken.map(describeResult).join(', ')} before the server is started: another process holds the port`)
    pid = await launch(ctx, a)
  } else {
    ctx.log.info(`the server already runs (pid ${pid})`)
  }
  const launched = pid
  const r = await waitForPorts(endpoints, { deadline: ctx.deadline, giveUp: () => (isAlive(launched) ? undefined : 'exited') })
  if (r.ok) {
    ctx.log.info(`the server (pid ${pid}) accepts connections${endpoints.length ? ` on ${endpoints.map((e) => ('port' in e ? e.port : e.path)).join(', ')}` : ''}`)
    return OCF.SUCCESS
  }
  const said = p.log ? `; ${p.log} says: ${tailSince(p.log, logFrom)}` : ''
  if (r.gaveUp) throw new HaloError(OCF.ERR_GENERIC, `the server (pid ${pid}) exited during start${said}`)
  throw new HaloError(OCF.ERR_GENERIC, `the server (pid ${pid}) did not open its ports in time: ${r.failing.map(describeResult).join(', ')}${said}`)
}

/** Runs the init script's start, or the binary detached; returns the server's pid. */
async function launch(ctx: Ctx, a: Account): Promise<number> {
  const p = ctx.params
  const env = serviceEnv(a, ctx.env)
  if (p.init_script !== undefined) {
    const r = await run([p.init_script, 'start'], { env, cwd: p.directory, uid: a.uid, gid: a.gid, timeout: left(ctx) })
    if (r.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `${p.init_script} start: ${describeFailure(r)}`)
    const { pid, stale } = server(ctx, a)
    if (pid === undefined) throw new HaloError(OCF.ERR_GENERIC, `${p.init_script} start succeeded but ${stale ?? `${pidFile(ctx)} names no running process`}`)
    return pid
  }
  // opened here, handed to the server: only a file of the server's user's own, never through a link
  const out = p.log ? appendFor(p.log, a, 'parameter log:', OCF.ERR_PERM) : undefined
  try {
    const argv = [p.binary!, ...splitWords(p.arguments ?? '', 'arguments')]
    ctx.log.info(`starting ${argv.join(' ')} as ${a.name} in ${p.directory}`)
    const pid = spawnDetached(argv, { env, cwd: p.directory, uid: a.uid, gid: a.gid, stdout: out })
    writeFileAtomic(pidFile(ctx), `${pid}\n`)
    return pid
  } finally {
    if (out !== undefined) closeSync(out)
  }
}

async function stop(ctx: Ctx): Promise<number> {
  const p = ctx.params
  const a = await account(p.user)
  const { pid, stale } = server(ctx, a)
  if (stale) ctx.log.info(`${stale}; removing its pid file`)
  if (pid !== undefined) {
    const nearlySpent = ctx.deadline - Math.min(5000, ctx.timeout / 5)
    const killAt = p.stop_timeout === undefined ? nearlySpent : Math.min(nearlySpent, performance.now() + p.stop_timeout)
    // what the server forked; a user's server, only what runs as that user (a process of root's is not its)
    const pids = a.uid === 0 ? processGroup(pid) : processGroup(pid).filter((q) => processUids(q)?.[1] === a.uid)
    let asked = false
    if (p.init_script !== undefined) {
      // as its user, like its start: a script run as root on a user's say-so is root's to the user
      const env = serviceEnv(a, ctx.env)
      const r = await run([p.init_script, 'stop'], { cwd: p.directory, env, uid: a.uid, gid: a.gid, timeout: Math.max(1, killAt - performance.now()) })
      asked = r.code === 0
      if (!asked) ctx.log.warn(`${p.init_script} stop: ${describeFailure(r)}; stopping pid ${pid} with TERM`)
    }
    if (!asked) signal(pids, 'SIGTERM')
    if (!(await waitForExit(pids, killAt))) {
      const left = pids.filter(isAlive)
      ctx.log.warn(`the server did not stop in time: killing ${left.join(' ')}`)
      signal(left, 'SIGKILL')
      if (!(await waitForExit(left, ctx.deadline))) throw new HaloError(OCF.ERR_GENERIC, `pids ${left.filter(isAlive).join(' ')} are still there after KILL`)
    }
    ctx.log.info(`the server (pid ${pid}) stopped`)
  }
  rmSync(pidFile(ctx), { force: true })
  return OCF.SUCCESS
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig)
    } catch {
      // gone already
    }
  }
}

runAgent(
  defineAgent({
    name: 'appserver',
    version: '1.0',
    shortdesc: 'Java-style application server',
    longdesc:
      'Starts an application server (by its init script, or its program run detached) and waits until every listed TCP port accepts connections. Monitor: the pid file names a live process and every port accepts; depth 10 also asks the health URL for a 2xx. Stop: the init script stop or TERM to the server and everything it forked, KILL when stop_timeout is spent.',
    parameters,
    actions: { start, stop, monitor },
    timeouts: { start: 300, stop: 120, monitor: 30 },
    depths: [0, 10],
    binaries: (p) => [p.init_script ?? p.binary ?? ''].filter(Boolean),
    validate,
    v1: {
      usage: 'appserver INIT-SCRIPT PIDFILE [PORT,PORT…] {start|stop|status}',
      parse: (args): Record<string, string> => {
        if (args.length < 2 || args.length > 3) throw new HaloError(OCF.ERR_ARGS, 'appserver takes an init script, its pid file and optionally its ports, comma-separated')
        const [init_script, pid, ports] = args
        return { init_script, pid, ports: ports ?? '' }
      },
    },
  }),
)
