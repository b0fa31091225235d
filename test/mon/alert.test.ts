/** A failing service alerts as mon does: the alert script gets mon's argv, environment and stdin. */
import { createServer, type Server } from 'node:net'
import t from 'tap'
import { run } from '../../lib/exec.ts'
import { until } from '../../lib/wait.ts'
import { TestMon } from '../fixtures/mon/daemon.ts'

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy())
    s.once('error', reject)
    s.listen(port, '127.0.0.1', () => resolve(s))
  })
}

async function freePort(): Promise<number> {
  const s = await listen()
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

t.test('closed port → failure alert; listener back → upalert with the last failing output', async (t) => {
  const port = await freePort()
  const mon = new TestMon(
    t,
    (dir) => `hostgroup loop 127.0.0.1

watch loop
    service basic
        ALERT_RECORD=${dir}
        TEST_VAR=a value
        description the test port
        interval 200ms
        monitor tcp.monitor -p ${port} -t 1
        period wd {Sun-Sat}
            alert record.alert basic-alert "two words"
            upalert record.alert up-alert
`,
  )
  const before = Math.floor(Date.now() / 1000)
  await mon.start()
  const [failure] = await mon.waitAlerts(1)
  const refused = '127.0.0.1\n\n127.0.0.1 could not connect: Connection refused\n'
  const epoch = Number(failure.argv[7])
  t.ok(epoch >= before && epoch <= Math.floor(Date.now() / 1000), '-t is the epoch of the alert')
  t.same(failure.argv, ['-s', 'basic', '-g', 'loop', '-h', '127.0.0.1', '-t', String(epoch), 'basic-alert', 'two words'])
  t.equal(failure.stdin, refused)
  t.match(failure.env, {
    MON_ALERTTYPE: 'failure',
    MON_RETVAL: '1',
    MON_OPSTATUS: '0',
    MON_LAST_SUMMARY: '127.0.0.1',
    MON_GROUP: 'loop',
    MON_SERVICE: 'basic',
    MON_DESCRIPTION: 'the test port',
    MON_LAST_SUCCESS: '0',
    MON_FIRST_SUCCESS: '',
    MON_STATEDIR: mon.dir,
    MON_LOGDIR: mon.dir,
    MON_CFBASEDIR: mon.dir,
    TEST_VAR: 'a value',
  })
  t.equal(failure.env.MON_FIRST_FAILURE, failure.env.MON_LAST_FAILURE)
  t.notOk('MON_LAST_OUTPUT' in failure.env, 'mon sets the last output after the alert: none at the first failure')

  const server = await listen(port)
  t.teardown(() => server.close())
  // failures may still alert before the listener is seen
  await until('an upalert', () => mon.alerts().some((a) => a.env.MON_ALERTTYPE === 'up'), 5000)
  const up = mon.alerts().find((a) => a.env.MON_ALERTTYPE === 'up')!
  t.ok(up, 'an upalert')
  t.same(up.argv.slice(0, 6), ['-s', 'basic', '-g', 'loop', '-h', '127.0.0.1'])
  t.same(up.argv.slice(8), ['-u', 'up-alert'])
  t.equal(up.stdin, refused, 'the upalert reads the last failing output')
  t.match(up.env, { MON_RETVAL: '0', MON_OPSTATUS: '1' })
})

t.test('a hung monitor is killed at its timeout and reported as a failure; never two copies at once', async (t) => {
  const mon = new TestMon(
    t,
    (dir) => `hostgroup hung 127.0.0.1 localhost

watch hung
    service stuck
        ALERT_RECORD=${dir}
        interval 300ms
        monitor hang.monitor
        period
            alert record.alert
`,
  )
  const started = performance.now()
  await mon.start()
  const [alert] = await mon.waitAlerts(1, 3000)
  t.ok(performance.now() - started < 1500, 'the failure is known soon after the timeout')
  t.equal(alert.stdin, '127.0.0.1 localhost\n\nhang.monitor timed out after 300 ms\nchecking 127.0.0.1 localhost\n')
  t.equal(alert.env.MON_LAST_SUMMARY, '127.0.0.1 localhost')
  // the killed check's sleep went with it: at most the next check's one runs
  const running = async () => (await run(['pgrep', '-f', 'sleep 599.25'])).stdout.split('\n').filter(Boolean).length
  t.ok((await running()) <= 1, 'at most one copy of the monitor runs')
  mon.daemon.close()
  await until('the running monitor to be ended by close', async () => (await running()) === 0, 2000)
})

t.test('monitor_timeout: a hung monitor is killed at its own limit, not the interval', async (t) => {
  const mon = new TestMon(
    t,
    (dir) => `watch 127.0.0.1
    service stuck
        ALERT_RECORD=${dir}
        interval 1h
        monitor_timeout 300ms
        monitor hang.monitor
        period
            alert record.alert
`,
  )
  const started = performance.now()
  await mon.start()
  // the first check would come in an hour: test monitor runs it at the next tick
  mon.daemon.testMonitor(mon.daemon.entries[0])
  const [alert] = await mon.waitAlerts(1, 5000)
  t.ok(performance.now() - started < 3000, 'the failure comes at the timeout, an hour before the next check')
  t.match(alert.stdin, /^127\.0\.0\.1\n\nhang\.monitor timed out after 300 ms\n/)
  mon.daemon.close()
  await until('the hung monitor to be gone', async () => (await run(['pgrep', '-f', 'sleep 599.25'])).code !== 0, 5000)
})
