/**
 * A throwaway MariaDB for tests and benchmarks: a temp directory holding a datadir initialised
 * with mariadb-install-db (owned by mysql), a my.cnf naming its socket, pid file and error log in that
 * directory, and either no network at all or a unique port on 127.0.0.1. Nothing is started: the agents
 * under test do that. Teardown kills whatever runs on this directory (every such process names it in its
 * argv) and removes it, also when the test fails.
 */
import { chmod, chown, mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, runOk } from '../lib/exec.ts'
import { account } from '../lib/users.ts'
import { type Scope, atEnd } from './scope.ts'
import { reapArgv } from './reap.ts'

export interface MariaDB {
  dir: string
  datadir: string
  config: string
  socket: string
  pid: string
  log: string
  /** the TCP port on 127.0.0.1, when asked for one */
  port?: number
  /** the mysql agent's OCF parameters for this server, every path explicit */
  params: Record<string, string>
  teardown: readonly (readonly string[])[]
}

export interface MariaDBOptions {
  /** listen on a free port of 127.0.0.1 (default: skip-networking, the socket only) */
  tcp?: boolean
  /** run mariadb-install-db (default true); false leaves the datadir empty */
  initialise?: boolean
}

export async function createMariadb(opts: MariaDBOptions = {}): Promise<MariaDB> {
  const dir = await mkdtemp(join(tmpdir(), 'halo-mariadb-'))
  const teardown = [reapArgv(dir)]
  try {
    const mysql = await account('mysql')
    const datadir = join(dir, 'data')
    const m = { dir, datadir, config: join(dir, 'my.cnf'), socket: join(dir, 'mysqld.sock'), pid: join(dir, 'mysqld.pid'), log: join(dir, 'error.log') }
    const port = opts.tcp ? await freePort() : undefined
    await writeFile(
      m.config,
      [
        '[mysqld]',
        `datadir = ${datadir}`,
        `socket = ${m.socket}`,
        `pid-file = ${m.pid}`,
        `log-error = ${m.log}`,
        'user = mysql',
        ...(port ? ['bind-address = 127.0.0.1', `port = ${port}`] : ['skip-networking']),
        'skip-name-resolve', // tests never look a host name up
        'innodb_buffer_pool_size = 16M',
        'innodb_log_file_size = 8M',
        '',
      ].join('\n'),
    )
    await mkdir(datadir)
    for (const d of [dir, datadir]) {
      await chmod(d, 0o755)
      await chown(d, mysql.uid, mysql.gid)
    }
    if (opts.initialise ?? true) {
      await runOk(['mariadb-install-db', `--defaults-file=${m.config}`, '--user=mysql', `--datadir=${datadir}`, '--skip-name-resolve', '--skip-test-db'], { timeout: 60_000 })
    }
    return { ...m, port, params: { config: m.config, datadir, socket: m.socket, pid: m.pid, log: m.log }, teardown }
  } catch (e) {
    await run(teardown[0])
    throw e
  }
}

/** A MariaDB directory removed (with anything running on it) when the scope ends (a test: passed or failed). */
export async function mariadb(scope: Scope, opts: MariaDBOptions = {}): Promise<MariaDB> {
  const m = await createMariadb(opts)
  for (const step of m.teardown) atEnd(scope, step)
  return m
}

export async function removeMariadb(m: MariaDB): Promise<void> {
  for (const step of m.teardown) await run(step)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}
