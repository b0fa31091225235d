// mysql against a real MariaDB server on a throwaway datadir (test/harness/mariadb.ts), socket only.
import t, { type Test } from 'tap'
import { chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runOk, spawnDetached } from '../../lib/exec.ts'
import { account } from '../../lib/users.ts'
import { isAlive, readPidFile } from '../../lib/process.ts'
import { crmLifecycle, crmResource, ocf, ocfTester, v1 } from '../harness/agent.ts'
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

t.test("a datadir owned by another uid (the mysql user's uid differs between the nodes): 4, naming both uids", async (t) => {
  const m = await mariadb(t)
  const mysql = await account('mysql')
  const peerUid = mysql.uid + 4242 // the mysql user's uid on the node that wrote the disk
  chownSync(m.datadir, peerUid, mysql.gid)
  const start = await ocf('mysql', 'start', { params: m.params })
  t.equal(start.code, 4, start.stderr)
  t.match(reason(start.stderr), `datadir ${m.datadir} belongs to uid ${peerUid}, but the server runs as mysql (uid ${mysql.uid})`)
  t.match(reason(start.stderr), 'same uid on every node')
  t.notOk(existsSync(m.pid), 'nothing started')
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

/** a directory only root may enter, removed at the end */
function rootOnly(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'halo-root-only-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test("the server starts with a clean environment: no HA_ secret, none of the agent's parameters", async (t) => {
  const m = await mariadb(t)
  const secret = 's3cret-pw'
  const env = { HA_stonith_host: `* external/ipmi nodeb 10.250.9.2 admin ${secret} lanplus`, HA_keepalive: '2', OCF_RESKEY_test_passwd: secret }
  const start = await ocf('mysql', 'start', { params: m.params, env })
  t.equal(start.code, 0, start.stderr)
  const pid = readPidFile(m.pid)!
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)
  t.notMatch(environ.join('\n'), secret, "no secret in mysqld's environment")
  t.same(environ.filter((v) => /^(HA_|OCF_)/.test(v)), [], 'no HA_ or OCF_ variable at all')
  t.ok(environ.some((v) => v.startsWith('PATH=')), 'the PATH it needs')
  t.equal((await ocf('mysql', 'stop', { params: m.params })).code, 0)
})

t.test("a link the mysql user planted as the error log: root creates nothing through it, quotes nothing from it", async (t) => {
  const m = await mariadb(t)
  const hidden = rootOnly(t)
  const mysql = await account('mysql')
  // dangling: it points at a file that root alone could create
  const target = join(hidden, 'created-by-root')
  const log = join(m.dir, 'error-link.log')
  symlinkSync(target, log)
  lchownSync(log, mysql.uid, mysql.gid)
  const r = await ocf('mysql', 'start', { params: { ...m.params, log }, env: { OCF_RESKEY_CRM_meta_timeout: '30000' } })
  t.notOk(existsSync(target), 'no file created in the root-only directory')
  await ocf('mysql', 'stop', { params: { ...m.params, log } })
  // pointing at a root-only file: a server that fails to start is quoted from its log, never from that file
  const secretFile = join(hidden, 'secret')
  writeFileSync(secretFile, '[ERROR] s3cret-line\n', { mode: 0o600 })
  rmSync(log)
  symlinkSync(secretFile, log)
  lchownSync(log, mysql.uid, mysql.gid)
  const again = await ocf('mysql', 'start', { params: { ...m.params, log, additional_parameters: '--halo-no-such-option' }, env: { OCF_RESKEY_CRM_meta_timeout: '30000' } })
  t.equal(again.code, 1, 'a server that cannot start')
  t.notMatch(again.stderr + r.stderr, 's3cret-line', "the root-only file's text is in no reason")
  t.match(reason(again.stderr), /cannot read .*ELOOP/, 'the reason says the log could not be read')
  t.equal(readFileSync(secretFile, 'utf8'), '[ERROR] s3cret-line\n', 'and it is untouched')
  t.equal(statSync(secretFile).uid, 0, 'still root-owned')
  await ocf('mysql', 'stop', { params: { ...m.params, log } })
})

t.test("a pid file the mysql user wrote naming root's process: stop leaves that process alone", async (t) => {
  const m = await mariadb(t)
  const mysql = await account('mysql')
  // root's process, named like a server (argv[0] mysqld): only who runs it tells it apart
  const innocent = spawnDetached(['bash', '-c', 'exec -a /usr/sbin/mysqld sleep 300'], { cwd: m.dir })
  t.teardown(() => void (isAlive(innocent) && process.kill(innocent, 'SIGKILL')))
  await until('the innocent process to run as mysqld', () => readFileSync(`/proc/${innocent}/cmdline`, 'utf8').startsWith('/usr/sbin/mysqld'))
  writeFileSync(m.pid, `${innocent}\n`)
  chownSync(m.pid, mysql.uid, mysql.gid)
  const stop = await ocf('mysql', 'stop', { params: m.params })
  t.equal(stop.code, 0, stop.stderr)
  t.ok(isAlive(innocent), "root's process is still alive")
  t.equal(uidOf(innocent), 0)
  t.notOk(existsSync(m.pid), 'the false pid file is cleared')
})

t.test('ocf-tester -v passes', async (t) => {
  const m = await mariadb(t)
  await ocfTester(t, 'mysql', m.params)
  t.notOk(existsSync(m.pid))
})

t.test('crm_resource --force-start/--force-check=10/--force-stop', async (t) => {
  const m = await mariadb(t)
  const crm = await crmResource(t, 'mysql', m.params)
  await crmLifecycle(t, crm, { check: '--force-check=10' })
})
