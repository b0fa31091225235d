/**
 * What the real mon 1.3 refuses to start with, the built halo-mon refuses too, naming file:line: no auth.cf
 * (the one cfbasedir implies), an authfile or a userfile that mon.cf names and that is not there, authtype
 * pam without perl's Authen::PAM. Several at once: mon names the first, halo-mon each. What mon only logs (a
 * missing default userfile for authtype userfile), halo-mon warns of and starts.
 */
import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { run } from '../../lib/exec.ts'
import { connect } from '../../lib/tcp.ts'
import { until } from '../../lib/wait.ts'
import { freePort, TestMon } from '../fixtures/mon/daemon.ts'

const realMon = '/usr/sbin/mon'
const haloMon = join(import.meta.dirname, '../../dist/bin/halo-mon')
const noMon = !existsSync(realMon) && 'mon is not installed'

const watch = `hostgroup loop 127.0.0.1

watch loop
    service echo
        interval 1h
        monitor echo.monitor
`

/** Both programs on the same mon.cf, each on a port of its own: exit code and stderr. */
async function both(mon: TestMon) {
  const [monPort, haloPort] = [String(await freePort()), String(await freePort())]
  const theirs = await run([realMon, '-c', mon.cf, '-P', '', '-p', monPort, '-t', monPort], { timeout: 20_000 })
  const ours = await run([haloMon, '-c', mon.cf, '-P', '', '-p', haloPort], { timeout: 20_000 })
  return { mon: { code: theirs.code, stderr: theirs.stderr }, halo: { code: ours.code, stderr: ours.stderr } }
}

const pam = (await run(['perl', '-MAuthen::PAM', '-e', '1'])).code === 0

t.test('no auth.cf where cfbasedir implies it: both refuse; halo-mon names the cfbasedir line', { skip: noMon }, async (t) => {
  const mon = new TestMon(t, () => watch)
  rmSync(join(mon.dir, 'auth.cf'))
  const r = await both(mon)
  t.match(r.mon, { code: 2, stderr: `could not open ${mon.dir}/auth.cf: No such file or directory` })
  t.match(r.halo, { code: 6, stderr: `halo-mon: ${mon.cf}:5: ${mon.dir}/auth.cf does not exist: with no authfile in mon.cf, mon and halo-mon read cfbasedir's auth.cf` })
  t.match(r.halo.stderr, /create it \(Debian's mon package installs one\), or name one with authfile = or -A\n$/)
})

t.test('an authfile or userfile mon.cf names that is not there: both refuse, at its line', { skip: noMon }, async (t) => {
  for (const name of ['authfile', 'userfile']) {
    const mon = new TestMon(t, (dir) => `${name} = ${dir}/none\n\n${watch}`)
    const r = await both(mon)
    t.match(r.mon, { code: 2, stderr: `cf error: ${name} '${mon.dir}/none' does not exist or is not readable, line 7` }, `mon: ${name}`)
    t.match(r.halo, { code: 6, stderr: `halo-mon: ${mon.cf}:7: ${name} '${mon.dir}/none' does not exist or is not readable (${mon.dir}/none): create it` }, `halo-mon: ${name}`)
  }
})

t.test("authtype pam without perl's Authen::PAM: both refuse; halo-mon at the authtype line", { skip: noMon || (pam && 'Authen::PAM is installed here') }, async (t) => {
  const mon = new TestMon(t, () => `authtype = getpwnam pam\n\n${watch}`)
  const r = await both(mon)
  t.match(r.mon, { code: 2, stderr: /^cf error: could not use PAM authentication: Can't locate Authen\/PAM\.pm/ })
  t.match(r.halo, { code: 6, stderr: `halo-mon: ${mon.cf}:7: authtype pam: could not use PAM authentication: perl's Authen::PAM is not installed` })
})

t.test('several errors at once: mon names the first, halo-mon each, at its file:line', { skip: noMon }, async (t) => {
  const mon = new TestMon(t, (dir) => `authfile = ${dir}/none.cf\nuserfile = ${dir}/none.users\nrandstart = 60\n\n${watch.replace('interval 1h', 'interval 5')}`)
  const r = await both(mon)
  t.match(r.mon, { code: 2, stderr: `cf error: authfile '${mon.dir}/none.cf' does not exist or is not readable, line 7` })
  const said = r.halo.stderr.split('\n').filter(Boolean).map((l) => /^(?:halo-mon: )?[^:]+:(\d+): /.exec(l)?.[1])
  t.same(said, ['9', '15', '7', '8'], 'each: the reading of mon.cf first (randstart, interval), then the files it names')
  t.equal(r.halo.code, 6)
})

/** halo-mon in the foreground with -d (its log on stderr); resolves with that log once it serves. */
async function serves(t: Test, mon: TestMon, argv: string[]): Promise<string> {
  const port = await freePort()
  const child = spawn(argv[0], [...argv.slice(1), '-c', mon.cf, '-P', '', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => void child.kill('SIGKILL'))
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  // a connect only: mon answers a client that speaks before its loop runs after its client timeout (30 s)
  await until(`${argv[0]} to listen`, async () => (await connect({ host: '127.0.0.1', port }, 1000)).status === 'ok', 15_000)
  child.kill('SIGTERM')
  return stderr
}

t.test('authtype userfile and no monusers.cf: mon only logs it and starts, and so does halo-mon, with a warning', { skip: noMon }, async (t) => {
  const mon = new TestMon(t, () => `authtype = userfile\n\n${watch}`)
  t.match(await serves(t, mon, [realMon, '-d']), `userfile\t[${mon.dir}/monusers.cf]`, 'mon serves')
  t.match(
    await serves(t, mon, [haloMon, '-d']),
    `${mon.cf}:7: authtype userfile: the userfile ${mon.dir}/monusers.cf does not exist, so it accepts no login (mon logs it too)`,
  )
})
