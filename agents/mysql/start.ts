/**
 * Starting the server: check (or, with enable_creation, create) its datadir, launch it as its user, and
 * return as soon as it greets clients on its socket and its pid file names it. The wait wakes on the
 * events that matter (the socket and pid file appearing in their directories) with a short backstop for
 * the ones that cannot be watched (the process dying); a server that dies is reported with its own words.
 */
import { existsSync, lchownSync, mkdirSync, statSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { HaloError, errorMessage } from '../../lib/errors.ts'
import { run, runOk, spawnDetached } from '../../lib/exec.ts'
import { OCF } from '../../lib/ocf/codes.ts'
import { createFor } from '../../lib/files.ts'
import { isAlive } from '../../lib/process.ts'
import { serviceEnv, type Account } from '../../lib/users.ts'
import type { Logger } from '../../lib/log.ts'
import { fileSize, tailSince } from '../../lib/logtail.ts'
import { greet } from './server.ts'
import { serverProcess } from './state.ts'
import type { Settings } from './settings.ts'

export interface Launch {
  settings: Settings
  binary: string
  account: Account
  extra: readonly string[]
  enableCreation: boolean
  deadline: number
  log: Logger
}

/** mysqld_safe (or safe_mysqld) watches mysqld and restarts it; mysqld is run directly otherwise. */
export const isWrapper = (binary: string) => basename(binary).includes('safe')

const left = (deadline: number) => Math.max(1, deadline - performance.now())

export async function launch(l: Launch): Promise<void> {
  const s = l.settings
  await datadirReady(l)
  prepare(s, l.account)
  const from = fileSize(s.log)
  const argv = [
    l.binary,
    `--defaults-file=${s.config}`, // must come first
    `--datadir=${s.datadir}`,
    `--pid-file=${s.pid}`,
    `--socket=${s.socket}`,
    `--log-error=${s.log}`,
    ...l.extra,
  ]
  l.log.info(`starting ${argv.join(' ')} as ${l.account.name}`)
  const launched = spawnDetached(argv, { env: serviceEnv(l.account), uid: l.account.uid, gid: l.account.gid, cwd: s.datadir })
  await untilReady(l, launched, from)
}

/** Waits for a server already launched (this start's, or an earlier one's still starting up). */
export async function untilReady(l: Launch, launched: number, logFrom = fileSize(l.settings.log)): Promise<void> {
  const s = l.settings
  let wake: () => void = () => {}
  const watchers: FSWatcher[] = [...new Set([dirname(s.socket), dirname(s.pid)])].map((dir) => watch(dir, () => wake()))
  try {
    for (;;) {
      const g = await greet(s.socket, Math.min(1000, left(l.deadline)))
      const { pid } = serverProcess(s, l.binary, l.account.uid)
      const server = pid !== undefined
      if (g.connect.status === 'ok' && server) {
        l.log.info(`${g.version ? `server ${g.version.replace(/^5\.5\.5-/, '')}` : 'the server'} (pid ${pid}) accepts connections on ${s.socket}`)
        return
      }
      if (!isAlive(launched) && !server) {
        throw new HaloError(OCF.ERR_GENERIC, `${l.binary} exited during start; ${s.log} says: ${serverSaid(s.log, logFrom)}`)
      }
      if (performance.now() >= l.deadline) {
        throw new HaloError(OCF.ERR_GENERIC, `the server (pid ${pid ?? launched}) did not accept connections on ${s.socket} in time; ${s.log} says: ${serverSaid(s.log, logFrom)}`)
      }
      await new Promise<void>((resolve) => {
        const backstop = setTimeout(resolve, Math.min(20, left(l.deadline)))
        wake = () => {
          clearTimeout(backstop)
          resolve()
        }
      })
    }
  } finally {
    for (const w of watchers) w.close()
  }
}

/**
 * The datadir must exist, hold the system database and belong to the server's user. Missing or empty is
 * "not installed here" (5): on a shared disk that is not mounted, another node may do better.
 */
async function datadirReady(l: Launch): Promise<void> {
  const { datadir } = l.settings
  const initialised = existsSync(join(datadir, 'mysql'))
  if (!initialised) {
    if (!l.enableCreation) {
      const why = existsSync(datadir) ? `holds no system database (no ${join(datadir, 'mysql')})` : 'does not exist (is its filesystem mounted?)'
      throw new HaloError(OCF.ERR_INSTALLED, `datadir ${datadir} ${why}; initialise it (mariadb-install-db --user=${l.account.name} --datadir=${datadir}) or set enable_creation=true`)
    }
    await createDatadir(l)
  }
  // On a shared or DRBD disk the owner is the uid the other node's mysql user has: Debian's adduser
  // --system picks it per node, so the two can differ, and then only the node that initialised it can start.
  const owner = statSync(datadir).uid
  if (owner !== l.account.uid) {
    const { name, uid } = l.account
    throw new HaloError(
      OCF.ERR_PERM,
      `datadir ${datadir} belongs to uid ${owner}, but the server runs as ${name} (uid ${uid}): give ${name} the same uid on every node (or chown -R ${name}: ${datadir})`,
    )
  }
}

async function createDatadir(l: Launch): Promise<void> {
  const s = l.settings
  mkdirSync(s.datadir, { recursive: true })
  lchownSync(s.datadir, l.account.uid, l.account.gid)
  l.log.info(`initialising ${s.datadir} (enable_creation)`)
  const common = [`--defaults-file=${s.config}`, `--datadir=${s.datadir}`, `--user=${l.account.name}`]
  for (const tool of ['mariadb-install-db', 'mysql_install_db']) {
    const r = await run([tool, ...common], { env: serviceEnv(l.account), timeout: left(l.deadline) }).catch(() => undefined) // not installed: next
    if (r === undefined) continue
    if (r.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `${tool} could not initialise ${s.datadir}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`)
    return
  }
  // MySQL 5.7 and later initialise with the server itself
  await runOk([isWrapper(l.binary) ? join(dirname(l.binary), 'mysqld') : l.binary, ...common, '--initialize-insecure'], { env: serviceEnv(l.account), timeout: left(l.deadline) }).catch((e) => {
    throw new HaloError(OCF.ERR_GENERIC, `cannot initialise ${s.datadir}: ${errorMessage(e)}`)
  })
}

/**
 * The error log, and the pid file's and socket's directories, exist and are the server's to write. These
 * are often in directories the server's user owns, where a link of its own may wait for root: what is
 * made here is made without following one (lchown, an exclusive create), and what is there is left alone.
 */
function prepare(s: Settings, a: Account): void {
  for (const dir of [dirname(s.pid), dirname(s.socket), dirname(s.log)]) {
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o755 })
      lchownSync(dir, a.uid, a.gid)
    }
  }
  createFor(s.log, a)
}

/** the server's [ERROR] lines since the start, else its last lines */
const serverSaid = (log: string, from: number) => tailSince(log, from, { prefer: /\[ERROR\]/ })
