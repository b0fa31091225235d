// mysql against a real MariaDB server on a throwaway datadir (test/harness/mariadb.ts), socket only.
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runOk } from '../../lib/exec.ts'
import { isAlive, readPidFile } from '../../lib/process.ts'
import { crmResource, ocf, ocfTester, v1 } from '../harness/agent.ts'
import { mariadb, type MariaDB } from '../harness/mariadb.ts'
import { until } from '../../lib/wait.ts'


const reason = (stderr: string) => /ocf-exit-reason:(.*)/.exec(stderr)?.[1] ?? ''
const deep = { OCF_CHECK_LEVEL: '10' }
const sql = (m: MariaDB, query: string) => runOk(['mariadb', '--no-defaults', `--socket=${m.socket}`, '-uroot', '--batch', '--skip-column-names', '-e', query], { timeout: 30_000 })
const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])

t.test('start, monitor at depths 0 and 10, stop: idempotent, with the right codes', async (t) => {
  const m = await mariadb(t)
  const params = m.params
  t.equal((await ocf('mysql', 'monitor', { params })).code, 7, 'not running: 7')
  t.equal((await ocf('mysql', 'stop', { params })).code, 0, 'stop when stopped: 0')
  const start = await ocf('mysql', 'start', { params })
  t.equal(start.code, 0, start.stderr)
  t.equal((await sql(m, 'SELECT 1')).trim(), '1', 'the server answers queries as soon as start returns')
  const pid = readPidFile(m.pid)!
  t.equal(uidOf(pid), Number(await runOk(['id', '-u', 'mysql'])), 'runs as mysql')
  t.equal((await ocf('mysql', 'start', { params })).code, 0, 'start when started: 0')
  t.equal(readPidFile(m.pid), pid, 'not started twice')
  t.equal((await ocf('mysql', 'monitor', { params })).code, 0)
  const ten = await ocf('mysql', 'monitor', { params, env: deep })
  t.equal(ten.code, 0, ten.stderr)
  const stop = await ocf('mysql', 'stop', { params })
  t.equal(stop.code, 0, stop.stderr)
  t.notOk(isAlive(pid), 'the server is gone')
  t.notOk(existsSync(m.pid) || existsSync(m.socket), 'no pid file or socket left')
  t.equal((await ocf('mysql', 'monitor', { params })).code, 7)
  t.equal((await ocf('mysql', 'stop', { params })).code, 0)
})

t.test('paths from my.cnf when only config is given', async (t) => {
  const m = await mariadb(t)
  const params = { config: m.config }
  t.equal((await ocf('mysql', 'start', { params })).code, 0)
  t.ok(existsSync(m.pid) && existsSync(m.socket), "pid file and socket where my.cnf puts them")
  t.equal((await ocf('mysql', 'monitor', { params, env: deep })).code, 0)
  t.equal((await ocf('mysql', 'stop', { params })).code, 0)
  t.notOk(existsSync(m.pid))
})

t.test('my.cnf as the server reads it: !includedir, [mariadb], dashes or underscores, a pid file relative to the datadir', async (t) => {
  const m = await mariadb(t)
  const config = join(m.dir, 'site.cnf')
  mkdirSync(join(m.dir, 'conf.d'))
  writeFileSync(config, `[client-server]\nsocket = /nowhere/else.sock\n[mysqld]\ndatadir = ${m.datadir}\nlog_error = ${m.log}\nskip-networking\nskip-name-resolve\n!includedir ${join(m.dir, 'conf.d')}\n`)
  writeFileSync(join(m.dir, 'conf.d', '50-site.cnf'), `[mariadb]\nsocket = ${m.socket} # the one that counts\npid_file = site.pid\n`)
  writeFileSync(join(m.dir, 'conf.d', 'ignored.txt'), '[mysqld]\nsocket = /not/read\n')
  const params = { config }
  const start = await ocf('mysql', 'start', { params })
  t.equal(start.code, 0, start.stderr)
  t.ok(existsSync(join(m.datadir, 'site.pid')), 'pid file in the datadir')
  t.ok(existsSync(m.socket), 'socket from the included file')
  t.equal((await ocf('mysql', 'monitor', { params, env: deep })).code, 0)
  t.equal((await ocf('mysql', 'stop', { params })).code, 0)
  t.notOk(existsSync(join(m.datadir, 'site.pid')) || existsSync(m.socket))
})

t.test('a killed server: monitor fails (not 7), stop clears its leftovers, start recovers', async (t) => {
  const m = await mariadb(t)
  const params = m.params
  t.equal((await ocf('mysql', 'start', { params })).code, 0)
  const pid = readPidFile(m.pid)!
  process.kill(pid, 'SIGKILL')
  await until('the killed server to be gone', () => !isAlive(pid))
  t.ok(existsSync(m.pid) && existsSync(m.socket), 'KILL leaves the pid file and socket behind')
  const mon = await ocf('mysql', 'monitor', { params })
  t.equal(mon.code, 1)
  t.match(reason(mon.stderr), `the server (pid ${pid} in ${m.pid}) is gone: it crashed or was killed`)
  t.equal((await ocf('mysql', 'stop', { params })).code, 0)
  t.notOk(existsSync(m.pid) || existsSync(m.socket), 'stop cleared them')
  t.equal((await ocf('mysql', 'monitor', { params })).code, 7)
  t.equal((await ocf('mysql', 'start', { params })).code, 0, 'starts again')
  t.equal((await ocf('mysql', 'stop', { params })).code, 0)
})

t.test('a server that ignores TERM is killed before the stop timeout, leaving nothing behind', async (t) => {
  const m = await mariadb(t)
  t.equal((await ocf('mysql', 'start', { params: m.params })).code, 0)
  const pid = readPidFile(m.pid)!
  process.kill(pid, 'SIGSTOP') // a hung server: TERM stays pending
  const stop = await ocf('mysql', 'stop', { params: m.params, env: { OCF_RESKEY_CRM_meta_timeout: '2000' } })
  t.equal(stop.code, 0, stop.stderr)
  t.match(stop.stderr, /did not shut down in time: killing it/)
  t.notOk(isAlive(pid))
  t.notOk(existsSync(m.pid) || existsSync(m.socket), 'no stale pid file or socket')
})

t.test('binary=mysqld_safe: started under it, and a hung server is killed with its mysqld_safe', async (t) => {
  const m = await mariadb(t)
  const params = { ...m.params, binary: '/usr/bin/mysqld_safe' }
  const start = await ocf('mysql', 'start', { params })
  t.equal(start.code, 0, start.stderr)
  const pid = readPidFile(m.pid)!
  const wrapper = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])
  t.match(readFileSync(`/proc/${wrapper}/cmdline`, 'utf8'), /mysqld_safe/, 'the pid file names mariadbd, under mysqld_safe')
  t.equal((await ocf('mysql', 'monitor', { params, env: deep })).code, 0)
  process.kill(pid, 'SIGSTOP')
  const stop = await ocf('mysql', 'stop', { params, env: { OCF_RESKEY_CRM_meta_timeout: '2000' } })
  t.equal(stop.code, 0, stop.stderr)
  await until('mysqld_safe to end', () => !isAlive(wrapper))
  t.notOk(isAlive(pid), 'mariadbd is gone')
  t.notOk(existsSync(m.pid) || existsSync(m.socket), 'mysqld_safe did not start it again')
})

t.test('a missing, an empty and a corrupt datadir: start refuses or fails with the reason', async (t) => {
  const m = await mariadb(t, { initialise: false })
  const missing = await ocf('mysql', 'start', { params: { ...m.params, datadir: join(m.dir, 'nowhere') } })
  t.equal(missing.code, 5)
  t.match(reason(missing.stderr), /datadir .*nowhere does not exist \(is its filesystem mounted\?\)/)
  const empty = await ocf('mysql', 'start', { params: m.params })
  t.equal(empty.code, 5)
  t.match(reason(empty.stderr), /holds no system database.*enable_creation=true/)
  t.notOk(existsSync(m.pid), 'nothing started')

  const created = await ocf('mysql', 'start', { params: { ...m.params, enable_creation: 'true' } })
  t.equal(created.code, 0, created.stderr)
  t.ok(existsSync(join(m.datadir, 'mysql')), 'enable_creation initialised it')
  t.equal((await ocf('mysql', 'monitor', { params: m.params, env: deep })).code, 0)
  t.equal((await ocf('mysql', 'stop', { params: m.params })).code, 0)

  writeFileSync(join(m.datadir, 'aria_log_control'), Buffer.alloc(52, 0x41))
  writeFileSync(join(m.datadir, 'ibdata1'), Buffer.alloc(1 << 20, 0x41))
  const corrupt = await ocf('mysql', 'start', { params: m.params })
  t.equal(corrupt.code, 1)
  t.match(reason(corrupt.stderr), /exited during start; .*error\.log says: .*\[ERROR\].*Aborting/)
  t.equal((await ocf('mysql', 'monitor', { params: m.params })).code, 7, 'nothing runs, nothing left behind')
})

t.test('depth 10 with test_user: right and wrong credentials, a missing table', async (t) => {
  const m = await mariadb(t)
  t.equal((await ocf('mysql', 'start', { params: m.params })).code, 0)
  await sql(m, "CREATE USER 'halocheck'@'localhost' IDENTIFIED BY 'right'; GRANT SELECT ON mysql.* TO 'halocheck'@'localhost'")
  const as = (passwd: string, table = 'mysql.user') => ({ ...m.params, test_user: 'halocheck', test_passwd: passwd, test_table: table })
  const good = await ocf('mysql', 'monitor', { params: as('right'), env: deep })
  t.equal(good.code, 0, good.stderr)
  const wrong = await ocf('mysql', 'monitor', { params: as('wrong'), env: deep })
  t.equal(wrong.code, 1)
  t.match(reason(wrong.stderr), /as halocheck failed: exit 1: ERROR 1045 .*Access denied for user 'halocheck'@'localhost'/)
  t.notMatch(wrong.stderr, /wrong/, 'the password is not shown')
  t.equal((await ocf('mysql', 'monitor', { params: as('wrong') })).code, 0, 'depth 0 needs no login')
  const table = await ocf('mysql', 'monitor', { params: as('right', 'mysql.nosuch'), env: deep })
  t.equal(table.code, 1)
  t.match(reason(table.stderr), /ERROR 1146/)
  t.equal((await ocf('mysql', 'stop', { params: m.params })).code, 0)
})

t.test('bad parameters: a clear reason naming them, nothing started', async (t) => {
  const m = await mariadb(t)
  for (const [more, code, says] of [
    [{ test_table: 'mysql.user; DROP TABLE x' }, 6, 'parameter test_table'],
    [{ additional_parameters: "--x='unclosed" }, 6, 'parameter additional_parameters'],
    [{ binary: '/nonexistent/mysqld' }, 5, '/nonexistent/mysqld is not installed'],
    [{ user: 'nosuchuser' }, 5, 'parameter user: no user "nosuchuser"'],
  ] as const) {
    const r = await ocf('mysql', 'start', { params: { ...m.params, ...more } })
    t.equal(r.code, code, says)
    t.match(reason(r.stderr), says)
  }
  const cfg = await ocf('mysql', 'start', { params: { config: join(m.dir, 'missing.cnf') } })
  t.equal(cfg.code, 5)
  t.match(reason(cfg.stderr), /missing\.cnf: cannot read the server's option file: ENOENT/)
  t.equal((await ocf('mysql', 'monitor', { params: m.params })).code, 7, 'nothing started')
  rmSync(m.config)
  t.equal((await ocf('mysql', 'monitor', { params: { config: m.config }, env: { OCF_RESKEY_CRM_meta_interval: '0' } })).code, 7, 'a probe without the config: not running')
})

t.test('haresources: mysqld [config] start|status|stop', async (t) => {
  const m = await mariadb(t)
  t.match((await v1('mysql', [m.config], 'status')).stdout, /stopped/)
  const start = await v1('mysql', [m.config], 'start')
  t.equal(start.code, 0, start.stderr)
  t.match((await v1('mysql', [m.config], 'status')).stdout, /running/)
  t.equal((await v1('mysql', [m.config], 'stop')).code, 0)
  t.match((await v1('mysql', [m.config], 'status')).stdout, /stopped/)
  t.notOk(existsSync(m.pid))
})

t.test('ocf-tester -v passes', async (t) => {
  const m = await mariadb(t)
  await ocfTester(t, 'mysql', m.params)
  t.notOk(existsSync(m.pid))
})

t.test('crm_resource --force-start/--force-check=10/--force-stop', async (t) => {
  const m = await mariadb(t)
  const crm = await crmResource(t, 'mysql', m.params)
  let r = await crm('--force-start')
  t.equal(r.code, 0, r.stdout + r.stderr)
  r = await crm('--force-check=10')
  t.equal(r.code, 0, r.stdout + r.stderr)
  r = await crm('--force-stop')
  t.equal(r.code, 0, r.stdout + r.stderr)
  r = await crm('--force-check')
  t.equal(r.code, 7, 'stopped: crm_resource passes 7 on')
})
