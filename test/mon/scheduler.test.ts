/** The scheduler: mon's timing (first check one interval after the start), `ms` intervals kept to the ms, monitors run as mon runs them. */
import { existsSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { until } from '../../lib/wait.ts'
import { serve } from '../../mon/server.ts'
import { ask, TestMon } from '../fixtures/mon/daemon.ts'

t.test('interval 200ms (halo\'s unit): a check every 200 ms, not drifting with the monitor\'s run time', async (t) => {
  const mon = new TestMon(
    t,
    (dir) => `watch 127.0.0.1
    service fast
        STAMPS=${dir}/stamps
        interval 200ms
        monitor stamp.monitor
`,
  )
  const stamps = join(mon.dir, 'stamps')
  const read = () => (existsSync(stamps) ? readFileSync(stamps, 'utf8').trim().split('\n').map((ns) => Number(BigInt(ns) / 1_000_000n)) : [])
  await mon.start()
  await until('8 checks', () => read().length >= 8, 5000)
  const times = read()
  const gaps = times.slice(1).map((x, i) => x - times[i])
  t.ok(gaps.every((g) => g > 150 && g < 260), `gaps ${gaps.join(' ')} ms`)
  const mean = (times.at(-1)! - times[0]) / gaps.length
  t.ok(Math.abs(mean - 200) < 15, `mean gap ${mean.toFixed(1)} ms`)
})

t.test('a monitor gets mon\'s argv, environment, stdin and merged stderr', async (t) => {
  const mon = new TestMon(
    t,
    (dir) => `hostgroup pair 127.0.0.1 localhost

watch pair
    service echo
        ALERT_RECORD=${dir}
        TEST_X=x y
        FAIL=3
        description two hosts
        interval 1h
        monitor echo.monitor -x "quoted arg"
        period
            alert record.alert
    service nohosts
        ALERT_RECORD=${dir}
        FAIL=2
        interval 1h
        monitor echo.monitor only these ;;
        period
            alert record.alert
`,
  )
  // their first checks would come in an hour: test monitor runs them at the next tick
  for (const e of (await mon.start()).entries) mon.daemon.testMonitor(e)
  const alerts = await mon.waitAlerts(2)
  const echo = alerts.find((a) => a.env.MON_SERVICE === 'echo')!
  t.equal(
    echo.stdin,
    'argv:-x\nargv:quoted arg\nargv:127.0.0.1\nargv:localhost\nto stderr\n' +
      `MON_CFBASEDIR=${mon.dir}\nMON_DESCRIPTION=two hosts\nMON_GROUP=pair\nMON_LAST_FAILURE=0\nMON_LAST_SUCCESS=0\n` +
      `MON_LOGDIR=${mon.dir}\nMON_SERVICE=echo\nMON_STATEDIR=${mon.dir}\nTEST_X=x y\n`,
  )
  t.equal(echo.env.MON_RETVAL, '3')
  const nohosts = alerts.find((a) => a.env.MON_SERVICE === 'nohosts')!
  t.match(nohosts.stdin, /^argv:only\nargv:these\nto stderr\n/)
  t.equal(nohosts.env.MON_RETVAL, '2')
})

t.test('as mon, the first check comes one interval after the start, not at once', async (t) => {
  const mon = new TestMon(
    t,
    (dir) => `watch 127.0.0.1
    service first
        STAMPS=${dir}/stamps
        interval 2s
        monitor stamp.monitor
`,
  )
  const daemon = await mon.start()
  const server = await serve(daemon, '127.0.0.1', 0)
  t.teardown(() => server.close())
  const status = () => ask((server.address() as AddressInfo).port, 'list opstatus 127.0.0.1,first')
  const before = await status()
  t.match(before, /^group=127\.0\.0\.1 service=first opstatus=7 last_opstatus=7 exitval=undef .* last_check= /, 'untested when the server first answers')
  t.notOk(existsSync(join(mon.dir, 'stamps')), 'and the monitor has not run')
  await until('the first check', () => existsSync(join(mon.dir, 'stamps')), 10_000)
  await until('its result', () => daemon.entries[0].st.opstatus === 1, 5000)
  t.match(await status(), /opstatus=1 last_opstatus=7 exitval=0 /)
})
