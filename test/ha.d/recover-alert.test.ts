// halo-recover.alert (dist/bin/halo-recover-alert), built: mon's alert arguments, against a stand-in engine on a control socket; then
// called by halo-mon and by the real mon 1.3 themselves for a closed port and its return.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { run } from '../../lib/exec.ts'
import { until } from '../../lib/wait.ts'
import { serveControl, type Answer, type EngineStatus, type Request } from '../../ha.d/control.ts'
import { parseAlertArgs, summaryOf } from '../../ha.d/cli/recover-alert.ts'
import { atEnd } from '../harness/cleanup.ts'
import { reapArgv } from '../harness/reap.ts'
import { freePort } from '../fixtures/mon/daemon.ts'

const program = fileURLToPath(new URL('../../dist/bin/halo-recover-alert', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'halo-recover-alert-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
/** as the package installs it: a link in mon's alert.d (the bundle has no extension: node loads a `.alert` file only through a link) */
const alertdir = join(dir, 'alert.d')
mkdirSync(alertdir)
const alert = join(alertdir, 'halo-recover.alert')
symlinkSync(program, alert)
let sockets = 0

/** a stand-in engine: records each request but the status (the alert's look at the counts), answers with `answer` */
async function engine(t: Test, answer: (r: Request) => Answer = () => ({ ok: true, message: 'appserver restarted in place on node1 (failure 1 of 3 within 10 min)' })) {
  const socket = join(dir, `engine${++sockets}.sock`)
  const seen: Request[] = []
  const server = await serveControl(socket, async (r) => {
    if (r.op !== 'status') seen.push(r)
    return answer(r)
  })
  t.teardown(() => server.close())
  return { socket, seen }
}

const call = (args: string[], env: Record<string, string>, input = '') =>
  run([alert, ...args], { env: { PATH: process.env.PATH, ...env }, input, timeout: 20_000 })
const MON_ARGS = ['-s', 'appserver', '-g', 'service', '-h', '192.0.2.10', '-t', '1795389780']
const OUTPUT = '192.0.2.10\n\n192.0.2.10 could not connect: Connection refused\n'

t.test("mon's arguments: flags, values, the resource or the service's name", async (t) => {
  t.same(parseAlertArgs([...MON_ARGS, 'appserver']), { service: 'appserver', group: 'service', hosts: '192.0.2.10', time: '1795389780', kind: 'failure', resource: 'appserver' })
  t.match(parseAlertArgs(['-s', 'mysql', '-g', 'service', '-h', 'a b', '-t', '1', 'mysqld']), { resource: 'mysqld', hosts: 'a b' })
  t.match(parseAlertArgs(['-s', 'web', '-g', 'g', '-h', 'h', '-t', '1']), { resource: 'web', kind: 'failure' }, 'no argument: the service')
  for (const [flag, kind] of [['-u', 'up'], ['-a', 'ack'], ['-D', 'disable'], ['-T', 'trap'], ['-O', 'traptimeout']]) {
    t.equal(parseAlertArgs([...MON_ARGS, flag, 'appserver']).kind, kind, `${flag}: ${kind}`)
  }
  const bad: [string[], RegExp][] = [
    [[...MON_ARGS, '-x', 'appserver'], /unknown option -x/],
    [['-g', 'service', 'appserver'], /no service \(-s\)/],
    [[...MON_ARGS, 'appserver', 'mysqld'], /one resource at most, got 2: appserver mysqld/],
    [[...MON_ARGS, 'IPaddr::1.2.3.4'], /resource "IPaddr::1\.2\.3\.4": a haresources name/],
    [['-s'], /option -s needs a value/],
  ]
  for (const [argv, why] of bad) t.throws(() => parseAlertArgs(argv), why, argv.join(' '))
  t.equal(summaryOf(OUTPUT, { MON_LAST_SUMMARY: 'other' }), '192.0.2.10', "the summary: the output's first line")
  t.equal(summaryOf('', { MON_LAST_SUMMARY: 'from mon' }), 'from mon', "else mon's MON_LAST_SUMMARY")
})

t.test('a failure: the engine is asked to recover the resource, by mon group/service; its answer is shown and logged', async (t) => {
  const { socket, seen } = await engine(t)
  const log = join(dir, 'ha-log.1')
  const r = await call([...MON_ARGS, 'appserver'], { HALO_CONTROL: socket, HA_LOGFILE: log, MON_GROUP: 'service', MON_SERVICE: 'appserver' }, OUTPUT)
  t.same([r.code, r.stdout, r.stderr], [0, 'appserver restarted in place on node1 (failure 1 of 3 within 10 min)\n', ''])
  t.equal(seen.length, 1)
  t.match(seen[0], { op: 'recover', resource: 'appserver' })
  t.equal((seen[0] as { by: string }).by, 'halo-recover.alert (mon alert for service/appserver: 192.0.2.10)', 'who asked, for the history')
  const lines = readFileSync(log, 'utf8')
  t.match(lines, /halo-recover\.alert\[\d+\]: \S+ info: service\/appserver failed \(192\.0\.2\.10\): asking the engine to recover appserver\n/)
  t.match(lines, /info: service\/appserver: appserver restarted in place on node1/)

  const byName = await call(['-s', 'web', '-g', 'service', '-h', '192.0.2.10', '-t', '1'], { HALO_CONTROL: socket, HA_LOGFILE: log })
  t.equal(byName.code, 0, byName.stderr)
  t.match(seen[1], { op: 'recover', resource: 'web' }, "no argument: the service's name")
})

t.test('an upalert, an ack, a disable: nothing is asked, exit 0', async (t) => {
  const { socket, seen } = await engine(t)
  const log = join(dir, 'ha-log.2')
  for (const flag of ['-u', '-a', '-D']) {
    const r = await call([...MON_ARGS, flag, 'appserver'], { HALO_CONTROL: socket, HA_LOGFILE: log }, OUTPUT)
    t.same([r.code, r.stdout, r.stderr], [0, '', ''], flag)
  }
  t.same(seen, [], 'the engine was not asked')
  t.match(readFileSync(log, 'utf8'), /info: service\/appserver: up alert, nothing to recover/)
})

t.test('the engine down or refusing: non-zero with a clear message, logged', async (t) => {
  const log = join(dir, 'ha-log.3')
  const down = await call([...MON_ARGS, 'appserver'], { HALO_CONTROL: join(dir, 'none.sock'), HA_LOGFILE: log })
  t.same([down.code, down.stderr], [1, `halo-recover.alert: cannot recover appserver: no heartbeat engine answers on ${join(dir, 'none.sock')}\n`])
  t.match(readFileSync(log, 'utf8'), /ERROR: service\/appserver: cannot recover appserver: no heartbeat engine answers/)

  const { socket } = await engine(t, () => ({ ok: false, error: 'no resource of haresources is nosuch' }))
  const refused = await call([...MON_ARGS, 'nosuch'], { HALO_CONTROL: socket, HA_LOGFILE: log })
  t.same([refused.code, refused.stderr], [1, 'halo-recover.alert: no resource of haresources is nosuch\n'])
  t.match(readFileSync(log, 'utf8'), /ERROR: service\/appserver: no resource of haresources is nosuch/)
})

t.test("one outage seen by two services (the server's two ports): the second asks nothing", async (t) => {
  const counted = '2026-12-04T02:00:05.500Z'
  const failures = [{ resource: 'appserver::/srv/ha/aggregate/bin/linkserv::/run/linkserv.pid::6460,8443', group: 'IPaddr::192.0.2.10/24/eth1', count: 1, threshold: 3, windowMs: 600_000, failures: [counted] }]
  const { socket, seen } = await engine(t, (r) => (r.op === 'status' ? { ok: true, status: { failures } as unknown as EngineStatus } : { ok: true, message: 'appserver restarted in place' }))
  const began = (iso: string) => String(Math.floor(Date.parse(iso) / 1000))
  const web = ['-s', 'web', '-g', 'service', '-h', '192.0.2.10', '-t', '1', 'appserver']
  const same = await call(web, { HALO_CONTROL: socket, MON_FIRST_FAILURE: began('2026-12-04T02:00:03Z') })
  t.same([same.code, same.stdout], [0, `appserver is already being recovered from this outage (a failure counted at ${counted}, after web began failing)\n`])
  t.same(seen, [], 'no second failure counted')
  const later = await call(web, { HALO_CONTROL: socket, MON_FIRST_FAILURE: began('2026-12-04T02:00:09Z') })
  t.equal(later.code, 0, later.stderr)
  t.match(seen, [{ op: 'recover', resource: 'appserver' }], 'a failure that began after the one counted is a new one')

  // both alerts at once: the engine refuses the second while the first one's restart runs, and counted the first
  let asked = 0
  const racing = await engine(t, (r) =>
    r.op === 'status' ? { ok: true, status: { failures: asked++ === 0 ? [] : failures } as unknown as EngineStatus } : { ok: false, error: 'recover appserver refused, nothing done: resources are in transition; try again' },
  )
  const raced = await call(web, { HALO_CONTROL: racing.socket, MON_FIRST_FAILURE: began('2026-12-04T02:00:03Z') })
  t.same([raced.code, raced.stdout], [0, `appserver is already being recovered from this outage (a failure counted at ${counted}, after web began failing)\n`], 'refused as a duplicate: not an error')
})

t.test('bad arguments: usage, exit 1, nothing asked', async (t) => {
  const { socket, seen } = await engine(t)
  const r = await call([...MON_ARGS, '-q'], { HALO_CONTROL: socket })
  t.equal(r.code, 1)
  t.match(r.stderr, /^halo-recover\.alert: unknown option -q .*\nusage: halo-recover\.alert -s SERVICE/)
  t.same(seen, [])
})

/** a mon.cf whose one service watches `port`, alerting through halo-recover.alert in its own alertdir */
function monCf(work: string, port: number): string {
  const cf = join(work, 'mon.cf')
  writeFileSync(join(work, 'auth.cf'), 'list: all\n')
  writeFileSync(cf, `alertdir = ${alertdir}
mondir = /usr/lib/mon/mon.d
statedir = ${work}
logdir = ${work}
cfbasedir = ${work}
serverbind = 127.0.0.1
trapbind = 127.0.0.1

hostgroup service 127.0.0.1

watch service
    service appserver
        interval 1s
        monitor tcp.monitor -p ${port} -t 1
        period wd {Sun-Sat}
            alertafter 2
            numalerts 1
            alert halo-recover.alert appserver
            upalert halo-recover.alert appserver
`)
  return cf
}

const monitors = [
  { name: 'halo-mon', argv: (cf: string, port: number) => [fileURLToPath(new URL('../../dist/bin/halo-mon', import.meta.url)), '-c', cf, '-P', '', '-p', String(port)] },
  { name: 'mon 1.3', argv: (cf: string, port: number) => ['/usr/sbin/mon', '-c', cf, '-P', '', '-p', String(port), '-t', String(port)], skip: !existsSync('/usr/sbin/mon') && 'mon is not installed' },
]
for (const mon of monitors) {
  t.test(`${mon.name} calls it: the closed port is recovered once, its return asks nothing`, { skip: mon.skip }, async (t) => {
    const { socket, seen } = await engine(t)
    const work = mkdtempSync(join(dir, 'mon-'))
    atEnd(t, reapArgv(work))
    const [watched, monPort] = [await freePort(), await freePort()]
    const log = join(work, 'ha-log')
    const argv = mon.argv(monCf(work, watched), monPort)
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env: { ...process.env, HALO_CONTROL: socket, HA_LOGFILE: log } })
    t.teardown(() => void child.kill('SIGKILL'))
    await until('the engine to be asked', () => seen.length > 0, 30_000)
    t.match(seen, [{ op: 'recover', resource: 'appserver', by: /alert for service\/appserver: 127\.0\.0\.1\)$/ }])
    const listener = createServer((c) => c.destroy()).listen(watched, '127.0.0.1')
    t.teardown(() => listener.close())
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8') : '')
    await until('the upalert', () => lines().includes('up alert, nothing to recover'), 30_000)
    t.equal(seen.length, 1, 'asked once: numalerts 1, and the upalert asks nothing')
    t.match(lines(), /service\/appserver: appserver restarted in place on node1/)
  })
}
