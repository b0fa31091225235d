/**
 * halo-mon against the real mon 1.3 (where installed): the same mon.cf, each with its own port, state
 * and log directories, and the first two failure alerts of each compared byte for byte (the epoch and
 * the directories aside). Also runs halo-mon's real command line.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { run } from '../../lib/exec.ts'
import { atEnd } from '../harness/cleanup.ts'
import { reapArgv } from '../harness/reap.ts'
import { fixtures, freePort, type Recorded, TestMon } from '../fixtures/mon/daemon.ts'

const realMon = '/usr/sbin/mon'
const halo = join(import.meta.dirname, '../../dist/bin/halo-mon')

/** What must be equal between two alerts: everything but the epoch and the instance's own directory. */
function comparable(a: Recorded, dir: string) {
  const env = Object.fromEntries(
    Object.entries(a.env)
      .filter(([k]) => k.startsWith('MON_') || k.startsWith('TEST_'))
      .map(([k, v]) => [k, /^MON_(LAST|FIRST)_FAILURE$/.test(k) ? (v === '0' ? '0' : 'EPOCH') : v.replaceAll(dir, 'DIR')]),
  )
  return { argv: a.argv.map((w, i) => (a.argv[i - 1] === '-t' ? 'EPOCH' : w)), env, stdin: a.stdin }
}

t.test('the same failure alerts as the real mon', { skip: !existsSync(realMon) && 'mon is not installed' }, async (t) => {
  const [closed, monPort, haloPort] = [await freePort(), await freePort(), await freePort()]
  // mon runs Debian's tcp.monitor, halo its own
  const records = (dir: string) => `mondir = ${fixtures}:/usr/lib/mon/mon.d
serverbind = 127.0.0.1
trapbind = 127.0.0.1

hostgroup loop 127.0.0.1

watch loop
    service basic
        ALERT_RECORD=${dir}/alerts
        TEST_VAR=a value with  two blanks
        interval 1s
        monitor tcp.monitor -p ${closed} -t 1
        period wd {Sun-Sat}
            alert record.alert basic-alert "two words"
            upalert record.alert up-alert
`
  const mon = new TestMon(t, records)
  const ours = new TestMon(t, records)
  for (const m of [mon, ours]) {
    mkdirSync(join(m.dir, 'alerts'))
    atEnd(t, reapArgv(m.dir))
  }
  // mon refuses to start without its auth.cf; this one lets anyone list
  writeFileSync(join(mon.dir, 'auth.cf'), 'list: all\n')
  const start = (argv: string[]) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' })
    t.teardown(() => void child.kill('SIGKILL'))
    return child
  }
  start([realMon, '-c', mon.cf, '-P', join(mon.dir, 'mon.pid'), '-p', String(monPort), '-t', String(monPort)])
  const ourChild = start([halo, '-c', ours.cf, '-P', join(ours.dir, 'mon.pid'), '-p', String(haloPort)])

  const recorded = async (m: TestMon) => {
    const dir = join(m.dir, 'alerts')
    const list = await m.waitAlerts(2, 15_000, dir)
    return list.slice(0, 2).map((a) => comparable(a, m.dir))
  }
  const [theirs, mine] = await Promise.all([recorded(mon), recorded(ours)])
  t.same(mine, theirs, 'the first two failure alerts, byte for byte')
  t.same(theirs[0].argv, ['-s', 'basic', '-g', 'loop', '-h', '127.0.0.1', '-t', 'EPOCH', 'basic-alert', 'two words'])

  // and both answer moncmd alike (the times aside, and the counts: halo checks every 1 s, mon every 2-3 s)
  const status = async (port: number) => {
    const r = await run(['/usr/bin/moncmd', '-s', '127.0.0.1', '-p', String(port), 'list opstatus'], { timeout: 10_000 })
    return r.stdout.replace(/=\d{9,}/g, '=EPOCH').replace(/ (timer|monitor_duration|failure_duration|ack|alerts_sent)=[\d.]+/g, ' $1=N')
  }
  if (existsSync('/usr/bin/moncmd')) t.equal(await status(haloPort), await status(monPort))

  ourChild.kill('SIGTERM')
  const code = await new Promise((resolve) => ourChild.once('exit', resolve))
  t.equal(code, 0, 'halo-mon ends cleanly on SIGTERM')
  t.notOk(existsSync(join(ours.dir, 'mon.pid')), 'and removes its pid file')
})
