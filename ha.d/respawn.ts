/**
 * ha.cf's `respawn USER /path args` and `failfast USER /path args`: helper programs the engine runs and
 * supervises, as Heartbeat 3.0.6 does:
 * - started in ha.cf order once communication is up, each as USER (its uid, its primary gid and its
 *   supplementary groups, by setpriv: argv, no shell), in a process group of its own, stdio on /dev/null,
 *   with the resource scripts' environment plus what Heartbeat exports (HA_DIR, HA_FUNCS, HA_DATEFMT,
 *   OCF_ROOT, HA_cluster_type, HA_LOGFACILITY, HA_debug, and the `env NAME=VALUE` lines as HA_NAME);
 * - restarted when it exits, a second later when its last run was under 30 s; more than 10 such short
 *   runs in a row and it is given up ("respawning too fast"); exit code 100 means "do not restart me";
 * - `failfast`: dying by a signal or with a non-zero code makes the node leave the cluster. Heartbeat
 *   reboots the machine; halo shuts the engine down gracefully, so the peer takes the groups over at once;
 * - stopped when the engine leaves, after its groups are given up, last started first: TERM to its
 *   process group, KILL what is left after STOP_GRACE_MS.
 * Heartbeat's API clients (ipfail, dopd, the CRM daemons…) would wait forever for an API socket halo does
 * not serve: each such line is reported once, with what halo does instead, and not run.
 */
import { accessSync, constants } from 'node:fs'
import { basename } from 'node:path'
import type { ClientChild, HaCf } from './config/hacf.ts'
import { childProcess } from '../lib/exec.ts'
import type { Logger } from '../lib/log.ts'
import { type Account, account } from '../lib/users.ts'

/** Heartbeat's counts: a run shorter than this is short; more short runs in a row than SHORT_RUNS_MAX and it is given up. */
const SHORT_RUN_MS = 30_000
const SHORT_RUNS_MAX = 10
/** the pause before restarting a client whose last run was short */
const RESTART_PAUSE_MS = 1000
/** Heartbeat's code for "do not respawn me" */
const NO_RESPAWN_EXIT = 100
/** how long a client has to exit after TERM before its process group is killed */
const STOP_GRACE_MS = 5000
const SETPRIV = '/usr/bin/setpriv'

/** What the engine needs of ha.cf's respawn and failfast lines. */
export interface RespawnConfig {
  /** ha.cf, to name its lines */
  file: string
  clients: readonly ClientChild[]
  /** what Heartbeat exports to its clients on top of the resource scripts' environment */
  env: Record<string, string>
}

/** The heartbeat API clients of Heartbeat 3.0.6 and Pacemaker 1.0, by basename: what halo does in their place. */
const API_CLIENTS: Record<string, string> = {
  ipfail: "halo's built-in ping-node rules do its job: keep the ping or ping_group lines",
  dopd: "halo's drbd-peer-outdater does its job as DRBD's fence-peer handler, without a daemon",
  ...Object.fromEntries(
    ['mgmtd', 'crmd', 'cib', 'attrd', 'stonithd', 'lrmd', 'pengine', 'tengine', 'ccm', 'pingd', 'hbagent'].map((name) => [
      name,
      'not supported: halo runs haresources (v1) clusters, without the CRM, its GUI or its SNMP agent',
    ]),
  ),
}

/** What halo does instead of a Heartbeat API client (`respawn … /usr/lib/heartbeat/ipfail`), or undefined for any other program. */
export const apiClientInstead = (argv0: string): string | undefined => API_CLIENTS[basename(argv0)]

/**
 * Why Heartbeat would refuse this respawn or failfast line (a user that does not exist, a program that is
 * not an executable file), or undefined. It refuses at start; so does halo (host-checks.ts).
 */
export async function clientProblem(spec: ClientChild): Promise<string | undefined> {
  try {
    accessSync(spec.argv[0], constants.X_OK)
  } catch (e) {
    return `${spec.argv[0]} is not an executable file (${(e as NodeJS.ErrnoException).code})`
  }
  try {
    await account(spec.user)
  } catch {
    return `no user "${spec.user}" on this host`
  }
}

/** The environment Heartbeat 3.0.6 sets for itself, and so for its clients, beyond HA_<directive>. */
export function heartbeatClientEnv(hacf: HaCf, confDir: string): Record<string, string> {
  const env: Record<string, string> = {
    HA_DIR: confDir,
    HA_FUNCS: `${confDir}/shellfuncs`,
    HA_DATEFMT: '%Y/%m/%d_%T\t',
    OCF_ROOT: '/usr/lib/ocf',
    HA_cluster_type: 'heartbeat',
  }
  const facility = hacf.logging.facility
  if (facility !== undefined && facility !== 'none') env.HA_LOGFACILITY = facility
  if (hacf.debug > 0) env.HA_debug = String(hacf.debug)
  return { ...env, ...Object.fromEntries(hacf.env) }
}

interface Client {
  spec: ClientChild
  /** `respawn USER /path args`, as Heartbeat names it in its log */
  name: string
  user?: Account
  pid?: number
  exited?: Promise<void>
  startedAt: number
  shortRuns: number
  restart?: NodeJS.Timeout
}

export interface RespawnOptions {
  log: Logger
  /** the resource scripts' environment (HA_CURHOST, HA_<directive>…) */
  env: NodeJS.ProcessEnv
  /** a failfast client died: leave the cluster */
  leave(why: string): void
}

export class Respawn {
  private readonly clients: Client[] = []
  private started = false
  private stopping = false

  constructor(
    private readonly cfg: RespawnConfig,
    private readonly opts: RespawnOptions,
  ) {}

  /** Starts every client that halo can run (once: Heartbeat starts them when communication comes up). */
  async start(): Promise<void> {
    if (this.started || this.stopping) return
    this.started = true
    for (const spec of this.cfg.clients) {
      const where = `${this.cfg.file}:${spec.line}`
      const line = `${spec.failfast ? 'failfast' : 'respawn'} ${spec.user} ${spec.argv.join(' ')}`
      const instead = apiClientInstead(spec.argv[0])
      if (instead !== undefined) {
        this.opts.log.warn(`${where}: ${line}: ${basename(spec.argv[0])} is a Heartbeat API client, which halo does not serve; ${instead}. Not started.`)
        continue
      }
      const client: Client = { spec, name: spec.argv.join(' '), startedAt: 0, shortRuns: 0 }
      const why = await this.check(client)
      if (this.stopping) return
      if (why) {
        this.opts.log.err(`${where}: ${line}: ${why}; not started`)
        continue
      }
      this.clients.push(client)
      this.launch(client)
    }
  }

  /** Checked again when it is started: the program or the user may have gone since the engine started. */
  private async check(c: Client): Promise<string | undefined> {
    const why = await clientProblem(c.spec)
    if (why === undefined) c.user = await account(c.spec.user)
    return why
  }

  private launch(c: Client): void {
    c.restart = undefined
    if (this.stopping) return
    const { uid, gid } = c.user!
    const argv = [SETPRIV, `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', ...c.spec.argv]
    // detached: a process group of its own (Heartbeat's setpgid), so a stop reaches what it started too
    const child = childProcess().spawn(argv[0], argv.slice(1), { env: { ...this.opts.env, ...this.cfg.env }, stdio: 'ignore', detached: true })
    c.startedAt = performance.now()
    c.pid = child.pid
    c.exited = new Promise((resolve) => {
      child.once('error', (e) => {
        this.opts.log.err(`client "${c.name}": cannot run ${SETPRIV}: ${e.message}`)
        resolve()
      })
      child.once('exit', (code, signal) => {
        resolve()
        this.died(c, code, signal)
      })
    })
    if (c.pid !== undefined) this.opts.log.info(`Starting "${c.name}" as uid ${uid} gid ${gid} (pid ${c.pid})`)
  }

  private died(c: Client, code: number | null, signal: NodeJS.Signals | null): void {
    c.pid = undefined
    if (this.stopping) return
    const where = `${this.cfg.file}:${c.spec.line}`
    if (signal) this.opts.log.err(`Client ${c.name} killed by signal ${signal}.`)
    else if (code !== 0) this.opts.log.err(`Client ${c.name} exited with return code ${code}.`)
    if (c.spec.failfast && (signal !== null || code !== 0)) {
      const why = `failfast client "${c.name}" (${where}) died`
      this.opts.log.err(`${why}: this node leaves the cluster and its groups go to the peer (Heartbeat would reboot it)`)
      return this.opts.leave(why)
    }
    if (code === NO_RESPAWN_EXIT) return this.opts.log.warn(`Client "${c.name}" (${where}) exited with ${NO_RESPAWN_EXIT}: not respawned`)
    c.shortRuns = performance.now() - c.startedAt < SHORT_RUN_MS ? c.shortRuns + 1 : 0
    if (c.shortRuns > SHORT_RUNS_MAX) {
      return this.opts.log.err(`Client ${c.name} "respawning too fast" (${where}): given up after ${c.shortRuns} runs under ${SHORT_RUN_MS / 1000} s; fix it and restart halo-heartbeat`)
    }
    this.opts.log.err(`Respawning client "${c.name}":`)
    c.restart = setTimeout(() => this.launch(c), c.shortRuns > 0 ? RESTART_PAUSE_MS : 0)
  }

  /** Stops every client, last started first: TERM to its process group, KILL after STOP_GRACE_MS. */
  async stop(): Promise<void> {
    this.stopping = true
    for (const c of [...this.clients].reverse()) {
      clearTimeout(c.restart)
      if (c.pid === undefined) continue
      const pid = c.pid
      this.opts.log.info(`stopping client "${c.name}" (pid ${pid})`)
      signalGroup(pid, 'SIGTERM')
      if (!(await within(c.exited!, STOP_GRACE_MS))) this.opts.log.warn(`client "${c.name}" (pid ${pid}) ignored TERM for ${STOP_GRACE_MS / 1000} s: killing it`)
      // whatever it left in its group goes with it, as Heartbeat kills its own group at the end
      signalGroup(pid, 'SIGKILL')
      await within(c.exited!, STOP_GRACE_MS)
    }
  }
}

/** Whether `p` settled within `ms`. */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))
  const done = await Promise.race([p.then(() => true), late])
  clearTimeout(timer)
  return done
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig)
  } catch {
    // the group is gone already
  }
}
