/**
 * What the built halo-mon says to syslog, at the levels mon 1.3 uses (measured: mon's lines through a
 * /dev/log of a private mount namespace): a missing monitor or alert at the start, at err, before any
 * check runs; each alert it calls at alert ("calling alert …"). Syslog here is a `logger` of the test's
 * own, first on halo-mon's PATH, that keeps its argv and each line with its priority.
 */
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { until } from '../../lib/wait.ts'
import { fixtures, freePort, TestMon } from '../fixtures/mon/daemon.ts'

const haloMon = join(import.meta.dirname, '../../dist/bin/halo-mon')

/** halo-mon in the foreground, logging to the test's logger; resolves with what reached that syslog so far. */
async function started(t: Test, mon: TestMon): Promise<() => string[]> {
  const bin = join(mon.dir, 'bin')
  mkdirSync(bin)
  const syslog = join(mon.dir, 'syslog')
  writeFileSync(join(bin, 'logger'), `#!/bin/sh\necho "argv: $*" >> '${syslog}'\nwhile IFS= read -r l; do printf '%s\\n' "$l" >> '${syslog}'; done\n`)
  chmodSync(join(bin, 'logger'), 0o755)
  const child = spawn(haloMon, ['-c', mon.cf, '-P', '', '-p', String(await freePort())], {
    stdio: 'ignore',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  })
  t.teardown(() => void child.kill('SIGKILL'))
  const lines = () => (existsSync(syslog) ? readFileSync(syslog, 'utf8').split('\n').filter(Boolean) : [])
  await until('halo-mon to log its start', () => lines().some((l) => l.includes('halo-mon started')), 15_000)
  return lines
}

t.test('a missing monitor and alert are named at the start, at err, before any check', async (t) => {
  const mon = new TestMon(t, () => `hostgroup loop 127.0.0.1

watch loop
    service web
        interval 1h
        monitor nosuch.monitor -p 80
        period wd {Sun-Sat}
            alert nosuch.alert
            upalert record.alert
            startupalert nosuch.alert
    service db
        interval 1h
        monitor tcp.monitor -p 3306
        period wd {Sun-Sat}
            alert nosuch.alert
`)
  const lines = await started(t, mon)
  t.equal(lines()[0], 'argv: --prio-prefix -p daemon.info -t halo-mon', 'facility daemon, as mon')
  const missing = lines().filter((l) => l.includes('not found'))
  t.same(missing, [
    `<3>${mon.cf}:10: monitor nosuch.monitor not found in one of (${fixtures}): loop/web cannot be checked; install it there, or correct mondir or the name`,
    `<3>${mon.cf}:13: alert nosuch.alert not found in one of (${fixtures}): loop/web, loop/db cannot send it; install it there, or correct alertdir or the name`,
  ])
  t.ok(lines().findIndex((l) => l.includes('not found')) < lines().findIndex((l) => l.includes('halo-mon started')), 'said before it serves')
})

t.test('"calling alert" goes to syslog at alert, as mon logs it', async (t) => {
  const mon = new TestMon(t, (dir) => `hostgroup loop 127.0.0.1

watch loop
    service echo
        ALERT_RECORD=${dir}
        FAIL=1
        interval 1s
        monitor echo.monitor
        period wd {Sun-Sat}
            alert record.alert down
`)
  const lines = await started(t, mon)
  await mon.waitAlerts(1, 15_000)
  await until('the line of the call', () => lines().some((l) => l.includes('calling alert')), 5000)
  t.match(lines().find((l) => l.includes('calling alert')), new RegExp(`^<1>calling alert record\\.alert for loop/echo \\(${fixtures}/record\\.alert,down\\) argv:127\\.0\\.0\\.1$`))
})
