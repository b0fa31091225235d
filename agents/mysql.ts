/**
 * mysql: a MySQL or MariaDB server on one node at a time (resource-agents' mysql, same parameters; its
 * replication/promotable mode is not provided). Paths not given are read from the server's my.cnf.
 * start: refuse a missing or uninitialised datadir (unless enable_creation), launch the server as its user,
 * succeed once it greets clients. monitor: 0 its process and socket greeting, 10 a query as test_user.
 * stop: TERM, wait for the exit, KILL when the timeout is nearly spent; no pid file or socket left behind.
 * haresources: mysqld[::/etc/mysql/my.cnf]
 */
import { readFileSync } from 'node:fs'
import { HaloError } from '../lib/errors.ts'
import { describeFailure, run } from '../lib/exec.ts'
import { OCF } from '../lib/ocf/codes.ts'
import { runAgent } from '../lib/ocf/run.ts'
import { defineAgent, type ActionContext } from '../lib/ocf/spec.ts'
import { commandLine, isAlive, waitForExit } from '../lib/process.ts'
import { account } from '../lib/users.ts'
import { splitWords } from '../lib/words.ts'
import { settings, type Settings } from './mysql/settings.ts'
import { isWrapper, launch, untilReady, type Launch } from './mysql/start.ts'
import { clearLeftovers, orphanState, serverProcess, serverState } from './mysql/state.ts'

const fromCnf = (what: string, fallback: string) => `Default: ${what} in the [mysqld] section of config, else ${fallback}.`

const parameters = {
  binary: {
    type: 'string',
    default: '/usr/sbin/mysqld',
    shortdesc: 'the server program',
    longdesc: 'mysqld or mariadbd, run directly so the cluster alone decides about restarts; mysqld_safe is accepted too (it restarts a crashed server by itself).',
  },
  client_binary: { type: 'string', default: 'mysql', shortdesc: 'the client program (depth 10 monitor)', longdesc: 'mysql or mariadb, for the depth 10 query.' },
  config: { type: 'string', default: '/etc/mysql/my.cnf', shortdesc: "the server's option file", longdesc: 'Passed to the server as --defaults-file; datadir, pid-file, socket, log-error and user are read from it when not given here.' },
  datadir: { type: 'string', shortdesc: 'data directory', longdesc: fromCnf('datadir', '/var/lib/mysql') },
  user: { type: 'string', shortdesc: 'the user the server runs as', longdesc: `${fromCnf('user', 'mysql')} The datadir must belong to this user.` },
  group: { type: 'string', shortdesc: 'the group the server runs as', longdesc: "Default: the user's primary group." },
  log: { type: 'string', shortdesc: 'error log', longdesc: `${fromCnf('log-error', '/var/log/mysql/error.log')} A failed start quotes it.` },
  pid: { type: 'string', shortdesc: 'pid file', longdesc: fromCnf('pid-file', '/run/mysqld/mysqld.pid') },
  socket: { type: 'string', shortdesc: 'unix socket', longdesc: fromCnf('socket', '/run/mysqld/mysqld.sock') },
  test_table: { type: 'string', default: 'mysql.user', shortdesc: 'table the depth 10 monitor counts', longdesc: 'db.table; the monitor runs SELECT COUNT(*) on it.' },
  test_user: { type: 'string', default: 'root', shortdesc: 'user of the depth 10 monitor', longdesc: 'root logs in through the unix socket as the OS user root on a stock MariaDB.' },
  test_passwd: { type: 'string', shortdesc: "test_user's password", longdesc: 'Given to the client in its environment (MYSQL_PWD), never on its command line.' },
  additional_parameters: { type: 'string', shortdesc: 'more server options', longdesc: 'Added to the server command line, split into words like a shell would without expanding anything, e.g. --skip-slave-start --innodb-buffer-pool-size=1G.' },
  enable_creation: { type: 'boolean', default: false, shortdesc: 'initialise an empty datadir', longdesc: 'When the datadir holds no system database, initialise it (mariadb-install-db, mysql_install_db, or mysqld --initialize-insecure) instead of refusing to start.' },
} as const

type Ctx = ActionContext<typeof parameters, Settings>

/** how long a single greeting may take: a hung server fails the monitor, not the action's timeout */
const greetMs = (ctx: Ctx) => Math.max(1, Math.min(5000, ctx.deadline - performance.now() - 100))

function validate(ctx: Ctx): void | Promise<void> {
  const { test_table } = ctx.params
  if (!/^[\w$]+(\.[\w$]+)?$/.test(test_table)) throw new HaloError(OCF.ERR_CONFIGURED, `parameter test_table: "${test_table}" is not a table name (db.table)`)
  splitWords(ctx.params.additional_parameters ?? '', 'additional_parameters')
  if (ctx.action === 'validate-all') return account(ctx.resolved.user, ctx.params.group).then(() => {})
}

async function launchSpec(ctx: Ctx, s: Settings): Promise<Launch> {
  return {
    settings: s,
    binary: ctx.params.binary,
    account: await account(s.user, ctx.params.group),
    extra: splitWords(ctx.params.additional_parameters ?? '', 'additional_parameters'),
    enableCreation: ctx.params.enable_creation,
    deadline: ctx.deadline,
    log: ctx.log,
  }
}

async function start(ctx: Ctx): Promise<number> {
  const s = ctx.resolved
  const state = await serverState(s, ctx.params.binary, greetMs(ctx), (await account(s.user, ctx.params.group)).uid)
  switch (state.kind) {
    case 'running':
      ctx.log.info(`the server already runs (pid ${state.pid})`)
      return OCF.SUCCESS
    case 'silent': // an earlier start that ran out of time, still coming up
      ctx.log.info(`${state.why}; waiting for it`)
      await untilReady(await launchSpec(ctx, s), state.pid)
      return OCF.SUCCESS
    case 'unknown':
      throw new HaloError(OCF.ERR_GENERIC, `${state.why}: not starting a second server on the same socket`)
    case 'stale':
      ctx.log.warn(`${state.why}; clearing its pid file and socket`)
      clearLeftovers(s)
  }
  await launch(await launchSpec(ctx, s))
  return OCF.SUCCESS
}

async function monitor(ctx: Ctx): Promise<number> {
  const s = ctx.resolved
  const state = await serverState(s, ctx.params.binary, greetMs(ctx))
  if (state.kind === 'stopped') return OCF.NOT_RUNNING
  // Heartbeat's `status` is its "do I hold it?" before each start: after the peer's power cut, the pid file on
  // the shared disk names the dead node's server. Stopped here, and start clears it: no ERROR in the ha-log.
  if (state.kind === 'stale' && ctx.door === 'v1') {
    ctx.log.info(`${state.why}; not running here`)
    return OCF.NOT_RUNNING
  }
  if (state.kind !== 'running') throw new HaloError(OCF.ERR_GENERIC, state.why)
  if (state.refusal) ctx.log.warn(`the server turns clients away: ${state.refusal}`)
  if (ctx.depth >= 10) await query(ctx, s)
  return OCF.SUCCESS
}

/** A real login and a real read: the server's storage answers, and test_user's account works. */
async function query(ctx: Ctx, s: Settings): Promise<void> {
  const p = ctx.params
  const argv = [p.client_binary, '--no-defaults', `--socket=${s.socket}`, `--user=${p.test_user}`, '--batch', '--skip-column-names', '-e', `SELECT COUNT(*) FROM ${p.test_table}`]
  const env: NodeJS.ProcessEnv = { PATH: ctx.env.PATH, ...(p.test_passwd ? { MYSQL_PWD: p.test_passwd } : {}) }
  const r = await run(argv, { env, timeout: Math.max(1, ctx.deadline - performance.now() - 100) })
  if (r.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `SELECT COUNT(*) FROM ${p.test_table} as ${p.test_user} failed: ${describeFailure(r)}`)
}

async function stop(ctx: Ctx): Promise<number> {
  const s = ctx.resolved
  // no greeting asked of a server being stopped: a hung one would spend the time its KILL needs
  // a user this host does not know runs nothing: then no process is the server, whatever its pid file says
  const uid = await account(s.user, ctx.params.group).then((a) => a.uid, () => -1)
  const { pid, gone } = serverProcess(s, ctx.params.binary, uid)
  if (pid !== undefined) await shutdown(ctx, pid)
  else if (gone) ctx.log.info(`${gone}; clearing its pid file and socket`)
  else {
    const state = await orphanState(s, Math.min(1000, greetMs(ctx)))
    if (state.kind === 'unknown') throw new HaloError(OCF.ERR_GENERIC, `${state.why}: cannot tell which process to stop`)
    if (state.kind === 'stale') ctx.log.info(`${state.why}; clearing it`)
  }
  clearLeftovers(s)
  return OCF.SUCCESS
}

/**
 * TERM is the server's clean shutdown. MariaDB loses a TERM that arrives before its signal thread runs (a
 * stop right after a start that timed out), so TERM is repeated each second. KILL comes when the time is
 * nearly spent (5 s before, or a fifth of a short timeout), and first to a mysqld_safe above the server,
 * which would otherwise start it again.
 */
async function shutdown(ctx: Ctx, pid: number): Promise<void> {
  const wrapper = safeParent(pid)
  const killAt = ctx.deadline - Math.min(5000, ctx.timeout / 5)
  for (;;) {
    process.kill(pid, 'SIGTERM')
    if (await waitForExit([pid], Math.min(killAt, performance.now() + 1000))) {
      ctx.log.info(`the server (pid ${pid}) shut down`)
      if (wrapper !== undefined) await waitForExit([wrapper], ctx.deadline)
      return
    }
    if (performance.now() >= killAt) break
  }
  ctx.log.warn(`the server (pid ${pid}) did not shut down in time: killing it`)
  for (const p of [wrapper, pid]) if (p !== undefined && isAlive(p)) process.kill(p, 'SIGKILL')
  if (!(await waitForExit([pid], ctx.deadline))) throw new HaloError(OCF.ERR_GENERIC, `the server (pid ${pid}) is still there after KILL`)
}

function safeParent(pid: number): number | undefined {
  const ppid = Number(/^PPid:\s*(\d+)/m.exec(procStatus(pid))?.[1])
  return ppid > 1 && (commandLine(ppid) ?? []).some((a) => isWrapper(a)) ? ppid : undefined
}

function procStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return ''
  }
}

runAgent(
  defineAgent({
    name: 'mysql',
    version: '1.0',
    shortdesc: 'MySQL/MariaDB server',
    longdesc:
      'Starts, stops and monitors a MySQL or MariaDB server on its datadir (usually on a DRBD or shared disk). Start returns when the server accepts connections; monitor depth 0 checks its process and that it greets clients on its socket, depth 10 counts the rows of test_table as test_user.',
    parameters,
    actions: { start, stop, monitor },
    timeouts: { start: 120, stop: 120, monitor: 30 },
    depths: [0, 10],
    binaries: (p) => [p.binary, p.client_binary],
    resolve: settings,
    validate,
    v1: {
      usage: 'mysqld [/etc/mysql/my.cnf] {start|stop|status}',
      parse: (args): Record<string, string> => {
        if (args.length > 1) throw new HaloError(OCF.ERR_ARGS, `mysqld takes one argument, the option file (got ${args.length})`)
        return args.length ? { config: args[0] } : {}
      },
    },
  }),
)
