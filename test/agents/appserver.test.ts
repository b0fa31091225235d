// appserver against a real server process (test/fixtures/appserver.ts) listening on loopback ports:
// slow to open them, crashing during start, ignoring TERM, forking, started by binary or init script.
import t, { type Test } from 'tap'
import { chmodSync, chownSync, existsSync, linkSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, spawnDetached } from '../../lib/exec.ts'
import { account } from '../../lib/users.ts'
import { isAlive, readPidFile } from '../../lib/process.ts'
import { connect } from '../../lib/tcp.ts'
import { bundle } from '../../build.ts'
import { crmLifecycle, crmResource, ocf, ocfTester, v1 } from '../harness/agent.ts'
import { atEnd } from '../harness/cleanup.ts'
import { reapArgv } from '../harness/reap.ts'
import { until } from '../../lib/wait.ts'

const scratch = mkdtempSync(join(tmpdir(), 'halo-appserver-'))
const fixture = join(scratch, 'appserver')
atEnd(t, reapArgv(scratch))
t.before(async () => {
  await bundle(new URL('../fixtures/appserver.ts', import.meta.url).pathname, fixture)
})

const reason = (stderr: string) => /ocf-exit-reason:(.*)/.exec(stderr)?.[1] ?? ''
const accepts = async (port: number) => (await connect({ host: '127.0.0.1', port }, 1000)).status === 'ok'

/** ports free on 127.0.0.1 now (the kernel's choice, so no two tests pick the same) */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => resolve(s))
    })),
  )
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** parameters for the fixture run as `binary`; whatever it leaves running is killed at the end */
function server(t: Test, ports: number[], args: string[] = []) {
  const dir = mkdtempSync(join(scratch, 'srv-'))
  const pid = join(dir, 'server.pid')
  atEnd(t, reapArgv(dir)) // the server runs in dir
  return {
    pid,
    dir,
    params: { binary: process.execPath, arguments: `${fixture} --ports ${ports.join(',')} ${args.join(' ')}`, pid, ports: ports.join(' '), directory: dir, log: join(dir, 'server.log') },
  }
}

t.test('start waits for every port, monitor, stop: idempotent, with the right codes', async (t) => {
  const ports = await freePorts(3)
  const s = server(t, ports, ['--slow', '150'])
  const params = s.params
  t.equal((await ocf('appserver', 'monitor', { params })).code, 7, 'not running: 7')
  t.equal((await ocf('appserver', 'stop', { params })).code, 0, 'stop when stopped: 0')
  const start = await ocf('appserver', 'start', { params })
  t.equal(start.code, 0, start.stderr)
  for (const port of ports) t.ok(await accepts(port), `port ${port} accepts as soon as start returns`)
  const pid = readPidFile(s.pid)!
  t.ok(isAlive(pid), 'the pid file names the server')
  t.match(readFileSync(params.log, 'utf8'), /listening on/, "the server's output goes to its log")
  t.equal((await ocf('appserver', 'start', { params })).code, 0, 'start when started: 0')
  t.equal(readPidFile(s.pid), pid, 'not started twice')
  t.equal((await ocf('appserver', 'monitor', { params })).code, 0)
  const stop = await ocf('appserver', 'stop', { params })
  t.equal(stop.code, 0, stop.stderr)
  t.notOk(isAlive(pid), 'the server is gone')
  t.notOk(existsSync(s.pid), 'no pid file left')
  t.equal((await ocf('appserver', 'monitor', { params })).code, 7)
  t.equal((await ocf('appserver', 'stop', { params })).code, 0)
})

t.test('a server that dies during start: start fails at once, quoting its log', async (t) => {
  const ports = await freePorts(2)
  const s = server(t, ports, ['--crash-after', '100'])
  const t0 = performance.now()
  const r = await ocf('appserver', 'start', { params: s.params, env: { OCF_RESKEY_CRM_meta_timeout: '60000' } })
  t.equal(r.code, 1)
  t.match(reason(r.stderr), /exited during start.*FATAL: cannot open the database/)
  t.ok(performance.now() - t0 < 30_000, 'did not wait for the start timeout')
  t.equal((await ocf('appserver', 'monitor', { params: s.params })).code, 1, 'a crashed server is a failure, not a clean stop')
  t.equal((await ocf('appserver', 'stop', { params: s.params })).code, 0, 'stop clears it')
  t.equal((await ocf('appserver', 'monitor', { params: s.params })).code, 7)
})

t.test('a server that ignores TERM is killed, with all it forked, at stop_timeout', async (t) => {
  const ports = await freePorts(1)
  const s = server(t, ports, ['--ignore-term', '--fork'])
  t.equal((await ocf('appserver', 'start', { params: s.params })).code, 0)
  const pid = readPidFile(s.pid)!
  const members = (await run(['pgrep', '-g', String(pid)])).stdout.trim().split('\n').map(Number)
  t.ok(members.length >= 2, 'the server forked a child')
  const t0 = performance.now()
  // KILL comes at stop_timeout, long before the action's own timeout would end the agent
  const stop = await ocf('appserver', 'stop', { params: { ...s.params, stop_timeout: '1s' }, env: { OCF_RESKEY_CRM_meta_timeout: '120000' } })
  const took = performance.now() - t0
  t.equal(stop.code, 0, stop.stderr)
  t.match(stop.stderr, /killing/)
  t.ok(took < 115_000, `killed at stop_timeout, not when the action was nearly out of time (${took.toFixed(0)} ms)`)
  for (const p of members) t.notOk(isAlive(p), `pid ${p} is gone`)
  t.notOk(await accepts(ports[0]))
})

t.test('stop_timeout: KILL comes when it is spent', async (t) => {
  const ports = await freePorts(1)
  const s = server(t, ports, ['--ignore-term'])
  const params = { ...s.params, stop_timeout: '300ms' }
  t.equal((await ocf('appserver', 'start', { params })).code, 0)
  const t0 = performance.now()
  t.equal((await ocf('appserver', 'stop', { params })).code, 0)
  t.ok(performance.now() - t0 < 5000, 'well before the 20 s stop timeout')
})

t.test('monitor: the health URL at depth 10, a closed port, a killed server', async (t) => {
  const [port, health, port2, health2, extra] = await freePorts(5)
  const well = server(t, [port], ['--health', `${health}:200`])
  const params = { ...well.params, health_url: `http://127.0.0.1:${health}/health` }
  const sick = server(t, [port2], ['--health', `${health2}:503`])
  const sickParams = { ...sick.params, health_url: `http://127.0.0.1:${health2}/health` }
  t.equal((await ocf('appserver', 'start', { params })).code, 0)
  t.equal((await ocf('appserver', 'start', { params: sickParams })).code, 0)
  await until('the health servers', async () => (await accepts(health)) && (await accepts(health2)))
  t.equal((await ocf('appserver', 'monitor', { params, env: { OCF_CHECK_LEVEL: '10' } })).code, 0, 'health 200: 0')
  t.equal((await ocf('appserver', 'monitor', { params: sickParams })).code, 0, 'depth 0 does not ask the URL')
  const deep = await ocf('appserver', 'monitor', { params: sickParams, env: { OCF_CHECK_LEVEL: '10' } })
  t.equal(deep.code, 1)
  t.match(reason(deep.stderr), /health URL .*: HTTP 503/)
  const closed = await ocf('appserver', 'monitor', { params: { ...params, ports: `${port} ${extra}` } })
  t.equal(closed.code, 1, 'a port that does not accept fails the monitor')
  t.match(reason(closed.stderr), `127.0.0.1:${extra} refused`)
  const pid = readPidFile(well.pid)!
  process.kill(pid, 'SIGKILL')
  await until('the killed server to be gone', () => !isAlive(pid))
  const killed = await ocf('appserver', 'monitor', { params })
  t.equal(killed.code, 1)
  t.match(reason(killed.stderr), /gone: it crashed or was killed/)
  for (const p of [params, sickParams]) t.equal((await ocf('appserver', 'stop', { params: p })).code, 0)
})

t.test('bad parameters and a port taken by another process change nothing', async (t) => {
  const [port] = await freePorts(1)
  const s = server(t, [port])
  for (const [more, name] of [
    [{ init_script: '/bin/true' }, 'init_script'],
    [{ ports: '80 http' }, 'ports'],
    [{ health_url: 'ftp://x/' }, 'health_url'],
    [{ arguments: '"unclosed' }, 'arguments'],
    [{ pid: 'relative.pid' }, 'pid'],
  ] as const) {
    const r = await ocf('appserver', 'start', { params: { ...s.params, ...more } })
    t.equal(r.code, 6, `${name}: 6`)
    t.match(reason(r.stderr), `parameter ${name}`)
  }
  const other = createServer().listen(port, '127.0.0.1')
  t.teardown(() => other.close())
  await until('the other listener', () => other.listening)
  const r = await ocf('appserver', 'start', { params: s.params })
  t.equal(r.code, 1)
  t.match(reason(r.stderr), /another process holds the port/)
  t.notOk(existsSync(s.pid), 'nothing started')
})

t.test('runs as its user, in its directory', async (t) => {
  const [port] = await freePorts(1)
  const s = server(t, [port])
  chmodSync(scratch, 0o755) // nobody reads the fixture there
  chmodSync(s.dir, 0o777) // and writes its log here
  const params = { ...s.params, user: 'nobody' }
  const r = await ocf('appserver', 'start', { params })
  t.equal(r.code, 0, r.stderr)
  const status = readFileSync(`/proc/${readPidFile(s.pid)}/status`, 'utf8')
  t.match(status, /^Uid:\s+65534\s/m)
  t.equal((await run(['readlink', `/proc/${readPidFile(s.pid)}/cwd`])).stdout.trim(), s.dir)
  t.equal((await ocf('appserver', 'stop', { params })).code, 0)
})

t.test('init script (AggreGate style), through the haresources door', async (t) => {
  const [a, b] = await freePorts(2)
  const dir = mkdtempSync(join(scratch, 'init-'))
  const pid = join(dir, 'linkserv.pid')
  const script = join(dir, 'linkserv')
  writeFileSync(script, `#!/bin/sh\nexec ${process.execPath} ${fixture} --ports ${a},${b} --slow 50 --pid-file ${pid} "$@"\n`, { mode: 0o755 })
  atEnd(t, reapArgv(dir))
  const args = [script, pid, `${a},${b}`]
  t.match((await v1('appserver', args, 'status')).stdout, /stopped/)
  const start = await v1('appserver', args, 'start')
  t.equal(start.code, 0, start.stderr)
  t.ok((await accepts(a)) && (await accepts(b)), 'both ports accept')
  t.match((await v1('appserver', args, 'status')).stdout, /running/)
  const server = readPidFile(pid)!
  t.equal((await v1('appserver', args, 'stop')).code, 0)
  t.notOk(isAlive(server), "the script's stop stopped it")
  t.match((await v1('appserver', args, 'status')).stdout, /stopped/)
})

/** a directory the unprivileged user owns (reachable by it: /tmp/…, 755), and a root-owned 0600 file beside it */
async function userDir(t: Test) {
  const nobody = await account('nobody')
  const top = mkdtempSync(join(tmpdir(), 'halo-appserver-user-'))
  chmodSync(top, 0o755)
  atEnd(t, reapArgv(top))
  const dir = join(top, 'nobody')
  await run(['install', '-d', '-o', String(nobody.uid), '-g', String(nobody.gid), '-m', '755', dir])
  const secret = join(top, 'root-only')
  writeFileSync(secret, 'root only\n', { mode: 0o600 })
  return { nobody, top, dir, secret }
}

t.test("the log as user=nobody: a link, a hard link or root's file in nobody's directory is refused, untouched", async (t) => {
  const { nobody, dir, secret } = await userDir(t)
  const [port] = await freePorts(1)
  const log = join(dir, 'server.log')
  const params = { binary: process.execPath, arguments: `${fixture} --ports ${port}`, user: 'nobody', directory: dir, pid: join(dir, 'server.pid'), ports: String(port), log }
  const plant: [string, () => void, RegExp][] = [
    ['a symbolic link', () => symlinkSync(secret, log), /is a symbolic link/],
    ['a hard link', () => linkSync(secret, log), /belongs to uid 0, not to nobody|has 2 names/],
    ["root's own file", () => writeFileSync(log, '', { mode: 0o600 }), /belongs to uid 0, not to nobody/],
  ]
  for (const [what, put, why] of plant) {
    await run(['rm', '-f', log])
    put()
    const r = await ocf('appserver', 'start', { params })
    t.equal(r.code, 4, `${what}: refused (insufficient privileges)`)
    t.match(reason(r.stderr), why)
    t.equal(readFileSync(secret, 'utf8'), 'root only\n', `${what}: the root-owned file is untouched`)
    t.notOk(existsSync(params.pid), `${what}: no server started`)
  }
  await run(['rm', '-f', log])
  const r = await ocf('appserver', 'start', { params: { ...params, arguments: '-e 0' } })
  t.equal(statSync(log).uid, nobody.uid, `a missing log is created for nobody (start: ${r.code})`)
  await ocf('appserver', 'stop', { params })
})

t.test("a pid file nobody wrote naming root's process: stop leaves it alone", async (t) => {
  const { nobody, dir } = await userDir(t)
  const innocent = spawnDetached(['sleep', '300'], { cwd: dir })
  t.teardown(() => void (isAlive(innocent) && process.kill(innocent, 'SIGKILL')))
  const pid = join(dir, 'server.pid')
  writeFileSync(pid, `${innocent}\n`)
  chownSync(pid, nobody.uid, nobody.gid)
  const params = { binary: process.execPath, user: 'nobody', directory: dir, pid }
  const stop = await ocf('appserver', 'stop', { params })
  t.equal(stop.code, 0, stop.stderr)
  t.match(stop.stderr, /runs as uid 0, not as the server's user/)
  t.ok(isAlive(innocent), "root's process is still alive")
  t.notOk(existsSync(pid), 'the false pid file is removed')
})

t.test('user=nobody with an init script: its stop runs as nobody too, with a clean environment', async (t) => {
  const { nobody, top, dir } = await userDir(t)
  const pid = join(dir, 'server.pid')
  const said = join(dir, 'stop-said')
  const script = join(top, 'linkserv')
  writeFileSync(script, `#!/bin/sh\ncase "$1" in\nstart) sleep 300 >/dev/null 2>&1 & echo $! > ${pid} ;;\nstop) { id -u; env; } > ${said}; kill $(cat ${pid}) ;;\nesac\n`, { mode: 0o755 })
  const params = { init_script: script, user: 'nobody', directory: dir, pid }
  const start = await ocf('appserver', 'start', { params, env: { HA_stonith_host: '* null nodeb s3cret' } })
  t.equal(start.code, 0, start.stderr)
  const server = readPidFile(pid)!
  const stop = await ocf('appserver', 'stop', { params, env: { HA_stonith_host: '* null nodeb s3cret' } })
  t.equal(stop.code, 0, stop.stderr)
  const [uid, ...env] = readFileSync(said, 'utf8').trim().split('\n')
  t.equal(Number(uid), nobody.uid, 'the stop script ran as nobody')
  t.same(env.filter((v) => /^(HA_|OCF_)/.test(v)), [], 'without the agent’s environment')
  t.notOk(isAlive(server), 'and stopped the server')
})

t.test('ocf-tester -v passes', async (t) => {
  const [port] = await freePorts(1)
  const s = server(t, [port])
  await ocfTester(t, 'appserver', s.params)
  t.notOk(existsSync(s.pid))
})

t.test('crm_resource --force-start/--force-check/--force-stop', async (t) => {
  const [port] = await freePorts(1)
  const s = server(t, [port])
  const crm = await crmResource(t, 'appserver', s.params)
  await crmLifecycle(t, crm, { started: async () => t.ok(await accepts(port), 'the port accepts') })
})
