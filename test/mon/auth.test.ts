/**
 * The built halo-mon behind auth.cf, as mon: a client that has not logged in (or logged in with a wrong
 * password) is refused disable, stop, reset and test alert in mon's words and changes nothing; the user
 * auth.cf names can do them. Also: Debian's auth.cf, and the errors for an auth.cf or an authtype it cannot
 * use (what mon refuses: test/mon/refuse.test.ts).
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { run } from '../../lib/exec.ts'
import { until } from '../../lib/wait.ts'
import { freePort, TestMon } from '../fixtures/mon/daemon.ts'

const haloMon = join(import.meta.dirname, '../../dist/bin/halo-mon')

const records = (dir: string) => `authtype = getpwnam userfile
userfile = ${dir}/monusers.cf

hostgroup loop 127.0.0.1

watch loop
    service echo
        ALERT_RECORD=${dir}
        interval 1h
        monitor echo.monitor
        period wd {Sun-Sat}
            alert record.alert failed
`

const authCf = `# who may do what
command section
list: all
version: all
quit: all
disable: alice
enable: alice
test: alice
stop: AUTH_ANY, !bob
start: AUTH_ANY
reset: AUTH_ANY

trap section
`

/** SHA-512 crypt hashes made by openssl, not by the perl that halo-mon checks them with. */
async function hash(password: string): Promise<string> {
  const r = await run(['openssl', 'passwd', '-6', '-stdin'], { input: password })
  return r.stdout.trim()
}

/** halo-mon from dist, in the foreground with -d (its log on stderr, kept); resolves once it serves. */
async function start(t: Test, mon: TestMon, more: string[] = [], via: string[] = []) {
  const port = await freePort()
  const logged: string[] = []
  const argv = [...via, haloMon, '-d', '-c', mon.cf, '-P', '', '-p', String(port), ...more]
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  child.stderr.setEncoding('utf8').on('data', (s: string) => logged.push(s))
  t.teardown(() => void child.kill('SIGKILL'))
  await until('halo-mon serves', () => logged.join('').includes('halo-mon started'), 15_000)
  return { port, log: () => logged.join('') }
}

/** One connection: each line sent once the previous one is answered; the replies, one array per command. */
function session(port: number, lines: string[]): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    const replies: string[][] = []
    let current: string[] = []
    let buffered = ''
    const next = () => (replies.length < lines.length ? s.write(`${lines[replies.length]}\n`) : s.end())
    s.setEncoding('utf8')
    s.on('connect', next)
    s.on('data', (d: string) => {
      buffered += d
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        current.push(line)
        if (/^\d{3} /.test(line)) {
          replies.push(current)
          current = []
          next()
        }
      }
    })
    s.on('error', reject)
    s.on('close', () => resolve(replies))
  })
}

const refused = ['520 command could not be executed, unknown command']
const period = 'wd {Sun-Sat}'

t.test('not logged in, or with a wrong password: refused, nothing changed; alice can', async (t) => {
  const mon = new TestMon(t, records)
  writeFileSync(join(mon.dir, 'auth.cf'), authCf)
  writeFileSync(join(mon.dir, 'monusers.cf'), `# mon's userfile\nalice : ${await hash('alice pass')}\nbob:${await hash('bob-pass')}\n`)
  const { port, log } = await start(t, mon, ['-l'])
  // a reset would read this service; a refused one must not
  writeFileSync(mon.cf, readFileSync(mon.cf, 'utf8') + '    service added\n        interval 1h\n        monitor echo.monitor\n')

  const changes = ['disable watch loop', 'stop', 'reset', `test alert loop echo 1 ${period}`, 'disable service loop echo']
  const anonymous = await session(port, [...changes, 'login nobody wrong', 'login alice wrong', 'login alice', ...changes, 'checkauth stop', 'list state', 'list disabled', 'list watch', 'bogus'])
  t.same(anonymous, [
    ...changes.map(() => refused),
    ['530 login unsuccessful'],
    ['530 login unsuccessful'],
    ['530 login unsuccessful'],
    ...changes.map(() => refused),
    ['520 command could not be executed'],
    ['scheduler running', '220 list state completed'],
    ['220 list disabled completed'],
    ['loop echo', '220 list watch completed'],
    ['520 invalid command'],
  ])
  t.notOk(existsSync(join(mon.dir, 'disabled')), 'no disabled state saved')

  const bob = await session(port, ['login bob bob-pass', 'checkauth stop', 'stop', 'checkauth disable', 'disable watch loop', 'list state'])
  t.same(bob, [['220 login accepted'], ['520 command could not be executed'], refused, ['520 command could not be executed'], refused, ['scheduler running', '220 list state completed']], 'bob: logged in, but !bob and not named')

  const alice = await session(port, ['login alice alice pass', 'checkauth stop', 'disable watch loop', 'list disabled', 'stop', 'list state', `test alert loop echo 1 ${period}`, 'reset keepstate', 'list watch'])
  t.same(alice.slice(0, 4), [['220 login accepted'], ['220 command authorized'], ['220 disable watch completed'], ['watch loop', '220 list disabled completed']])
  t.equal(readFileSync(join(mon.dir, 'disabled'), 'utf8'), 'disable watch loop\n', 'her disable is saved')
  t.same(alice[4], ['220 stop completed'])
  t.match(alice[5], [/^scheduler stopped since \d+$/, '220 list state completed'])
  t.same(alice[6], ['220 test alert completed'], 'test alert: the period is the rest of the line, blanks and all')
  t.match(alice[7], [/^220 reset PID \d+@/])
  t.same(alice[8], ['loop echo', 'loop added', '220 list watch completed'], 'the reset read mon.cf again')

  // the only alert is hers: the refused test alerts ran nothing
  const alerts = await mon.waitAlerts(1)
  t.equal(alerts.length, 1)
  t.match(alerts[0], { argv: ['-s', 'echo', '-g', 'loop', '-h', '127.0.0.1', '-t', /^\d+$/, 'failed'], env: { MON_ALERTTYPE: 'test', MON_RETVAL: '1' } })

  // the log says who was refused what, and holds no password
  t.match(log(), /a client not logged in from 127\.0\.0\.1 may not run 'stop': refused/)
  t.match(log(), /user bob from 127\.0\.0\.1 may not run 'stop'/)
  t.match(log(), /login as 'alice' from 127\.0\.0\.1 refused/)
  for (const secret of ['alice pass', 'bob-pass', 'wrong']) t.notMatch(log(), secret, `"${secret}" is not in the log`)
})

t.test("authtype getpwnam: the account's shadow password (nobody's, in a mount namespace with a shadow file of the test's)", async (t) => {
  const mon = new TestMon(t, records)
  writeFileSync(join(mon.dir, 'auth.cf'), authCf)
  writeFileSync(join(mon.dir, 'monusers.cf'), '')
  // /etc/shadow as it is, but nobody's password is the test's (a yescrypt hash, Debian's default kind)
  const yescrypt = (await run(['perl', '-e', 'print crypt(<STDIN>, q($y$j9T$abcdefghijklmnop))'], { input: 'nobody pass' })).stdout
  t.match(yescrypt, /^\$y\$j9T\$abcdefghijklmnop\$\S+$/)
  const shadow = join(mon.dir, 'shadow')
  writeFileSync(shadow, readFileSync('/etc/shadow', 'utf8').replace(/^nobody:[^:]*:/m, `nobody:${yescrypt}:`), { mode: 0o640 })
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '600'], { stdio: 'ignore' })
  t.teardown(() => void holder.kill('SIGKILL'))
  const ns = (pid: number | string) => readlinkSync(`/proc/${pid}/ns/mnt`)
  // nsenter must never reach this test's own mount namespace: wait until the holder has its own
  await until('the mount namespace', () => { try { return ns(holder.pid!) !== ns('self') } catch { return false } }, 5000)
  const enter = ['nsenter', '-t', String(holder.pid), '-m']
  t.equal((await run([...enter, 'mount', '--bind', shadow, '/etc/shadow'])).code, 0, 'the shadow file is bound in the namespace only')
  t.notMatch(readFileSync('/etc/shadow', 'utf8'), yescrypt, "this host's /etc/shadow is untouched")

  const { port } = await start(t, mon, [], enter)
  t.same(await session(port, ['login nobody wrong', 'stop', 'login nobody nobody pass', 'stop', 'login root anything']), [
    ['530 login unsuccessful'],
    refused,
    ['220 login accepted'],
    ['220 stop completed'],
    ['530 login unsuccessful'],
  ])
})

t.test("Debian's auth.cf (the fixtures' own): list for all, changes after a login", async (t) => {
  const mon = new TestMon(t, records)
  writeFileSync(join(mon.dir, 'monusers.cf'), `alice : ${await hash('alice pass')}\n`)
  const { port } = await start(t, mon)
  t.match(await session(port, ['list state', 'servertime', 'stop', 'login alice alice pass', 'stop']), [
    ['scheduler running', '220 list state completed'],
    [/^\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/, '220 servertime completed'], // as perl's localtime
    refused,
    ['220 login accepted'],
    ['220 stop completed'],
  ])
})

t.test('what auth cannot use is an error before anything starts, naming the file', async (t) => {
  const mon = new TestMon(t, records)
  const halo = (...more: string[]) => run([haloMon, '-c', mon.cf, '-P', '', '-p', '1', ...more], { timeout: 15_000 })
  writeFileSync(join(mon.dir, 'auth.cf'), authCf)
  t.match(await halo(), { code: 6, stderr: `halo-mon: ${mon.cf}:8: userfile '${mon.dir}/monusers.cf' does not exist or is not readable` })
  writeFileSync(join(mon.dir, 'monusers.cf'), '')
  t.match(await halo('-A', join(mon.dir, 'none.cf')), { code: 6, stderr: `halo-mon: ${mon.dir}/none.cf: cannot read it` })
  writeFileSync(join(mon.dir, 'auth.cf'), 'command section\nlist all\n')
  t.match(await halo(), { code: 6, stderr: `halo-mon: ${mon.dir}/auth.cf:2: 'list all' is not 'command: who,…'` })
  const pam = (await run(['perl', '-MAuthen::PAM', '-e', '1'])).code === 0
  writeFileSync(mon.cf, readFileSync(mon.cf, 'utf8').replace('authtype = getpwnam userfile', 'authtype = pam'))
  writeFileSync(join(mon.dir, 'auth.cf'), authCf)
  if (!pam) t.match(await halo(), { code: 6, stderr: /authtype pam: could not use PAM authentication: perl's Authen::PAM is not installed/ }, 'pam without Authen::PAM, as mon')
})
