// mon/daemon.ts, halo-mon's core, driven through its methods (the protocol server's and the scheduler's
// tests go through the socket and the clock): what it runs or does not run, what it logs, what its
// commands change, and what it keeps. The mon.cf is written by each test; scripts are test/fixtures/mon.
import t, { type Test } from 'tap'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogRecorder } from '../fixtures/log-recorder.ts'
import { until } from '../../lib/wait.ts'
import { loadConfig } from '../../mon/config/load.ts'
import { Daemon, type Entry } from '../../mon/daemon.ts'
import { STAT_FAIL } from '../../mon/state.ts'
import { DEBIAN_AUTH_CF, globals } from '../fixtures/mon/daemon.ts'

/** A daemon on this mon.cf (after the globals; `${dir}` is the scratch directory), not started. */
async function mon(t: Test, records: (dir: string) => string, opts: { stopped?: boolean; globals?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'halo-mon-daemon-'))
  const cf = join(dir, 'mon.cf')
  copyFileSync(DEBIAN_AUTH_CF, join(dir, 'auth.cf'))
  const write = (r: (dir: string) => string) => writeFileSync(cf, `${globals(dir)}${opts.globals ?? ''}hostgroup local 127.0.0.1\n\n${r(dir)}`)
  write(records)
  const log = new LogRecorder('halo-mon')
  const load = () => loadConfig(cf, {}, (w) => log.warn(w))
  // a 50 ms tick (mon's -i) rather than 1 s: `test monitor` runs at the next tick
  const d = new Daemon({ log, config: await load(), load, stopped: opts.stopped, tick: 50 })
  t.teardown(() => {
    d.close()
    // an alert may still be writing into it: removal is cleanup, never a test failure
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    } catch {
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    }
  })
  const entry = (group: string, svc: string): Entry => d.find(group, svc)!
  return { d, dir, log, write, entry, logged: () => log.lines.join('\n') }
}

/** one echo.monitor service that records each check's start in ${dir}/<name>.runs */
const counted = (name: string, extra = '') => (dir: string) => `watch local
    service ${name}
        interval 1h
        monitor stamp.monitor
        STAMPS=${dir}/${name}.runs
${extra}`

const runsOf = (dir: string, name: string) => (existsSync(join(dir, `${name}.runs`)) ? readFileSync(join(dir, `${name}.runs`), 'utf8').trim().split('\n').length : 0)

t.test('a service without a monitor or an interval is never checked, and says so once at the start', async (t) => {
  const m = await mon(t, () => `watch local
    service nomonitor
        interval 1s
    service nointerval
        monitor echo.monitor
`)
  m.d.start()
  await until('both warnings', () => m.log.lines.length >= 2, 3000)
  t.same(m.log.lines.sort(), ['warn: local/nointerval has no interval: it is not checked', 'warn: local/nomonitor has no monitor: it is not checked'])
  t.notOk(m.entry('local', 'nomonitor').st.lastCheck, 'never checked')
})

/** a daemon whose one service hangs (hang.monitor), hourly, with its check started at once by test monitor */
async function hungCheck(t: Test, name: string, extra?: string) {
  const m = await mon(t, () => `watch local
    service ${name}
        interval 1h
${extra ? `        ${extra}\n` : ''}        monitor hang.monitor
`)
  m.d.start()
  const e = m.entry('local', name)
  m.d.testMonitor(e)
  await until(`${name}'s check to run`, () => e.pid !== undefined, 3000)
  return { m, e }
}

t.test('test monitor runs the check at the next tick; a second while it runs is no second copy', async (t) => {
  const { m, e } = await hungCheck(t, 'slow', 'monitor_timeout 300ms')
  m.d.testMonitor(e)
  await until('the check to end at its timeout', () => !e.st.monitorRunning, 3000)
  t.same(m.log.lines, ['warn: monitor for local/slow timed out'], 'one check, not two')
  t.equal(m.d.failureHistory.length, 1)
  t.ok(e.st.lastCheck > 0 && e.st.monitorDuration >= 300, 'its time is kept')
  t.ok(e.due - performance.now() > 3_000_000, 'the next check is an interval (1 h) away')
})

t.test('stopped (-S): a due check is skipped, not run; started again, it runs', async (t) => {
  const m = await mon(t, counted('held'), { stopped: true })
  m.d.start()
  const e = m.entry('local', 'held')
  t.ok(m.d.stoppedSince > 0, 'stopped since the start')
  m.d.testMonitor(e)
  const planned = e.due
  await until('the skipped check to be put off to the next tick', () => e.due > planned, 3000)
  t.equal(runsOf(m.dir, 'held'), 0, 'nothing ran')
  m.d.stopped = false
  await until('the check at the next tick', () => runsOf(m.dir, 'held') === 1, 3000)
  t.equal(runsOf(m.dir, 'held'), 1)
})

t.test('no host left to check: the monitor is not called, and the error names the service', async (t) => {
  const m = await mon(t, counted('lonely'))
  m.d.start()
  m.d.disabledHosts.add('127.0.0.1')
  t.same(m.d.hosts('local'), [])
  m.d.testMonitor(m.entry('local', 'lonely'))
  await until('the error', () => m.log.lines.length > 0, 3000)
  t.same(m.log.lines, ['err: monitor for local/lonely not called because of no host arguments'])
  t.equal(runsOf(m.dir, 'lonely'), 0)
})

t.test('a disabled service or watch is not checked', async (t) => {
  const m = await mon(t, counted('off'))
  m.d.start()
  const e = m.entry('local', 'off')
  m.d.disable(e, true)
  t.equal(e.st.disabled, true)
  m.d.testMonitor(e)
  await until('the check to be put off', () => e.due - performance.now() > 3_000_000, 3000)
  m.d.disable(e, false)
  m.d.disabledWatches.add('local')
  m.d.testMonitor(e)
  await until('the check to be put off again', () => e.nextCheck > 0 && e.due - performance.now() > 3_000_000, 3000)
  t.equal(runsOf(m.dir, 'off'), 0)
})

t.test('a failing check is remembered (failure history, capped at histlength) and alerts; an unknown alert is an error', async (t) => {
  const m = await mon(
    t,
    (dir) => `watch local
    service down
        interval 1h
        monitor echo.monitor
        FAIL=1
        ALERT_RECORD=${dir}
        period
            alert nosuch.alert
`,
    { globals: 'histlength = 2\n' },
  )
  m.d.start()
  const e = m.entry('local', 'down')
  for (let i = 1; i <= 3; i++) {
    const last = e.st.lastCheck
    m.d.testMonitor(e)
    await until(`check ${i}`, () => e.st.lastCheck > last && !e.st.monitorRunning, 3000)
  }
  t.equal(e.st.opstatus, STAT_FAIL)
  t.equal(m.d.failureHistory.length, 2, 'histlength 2 keeps two')
  t.match(m.d.failureHistory[0], /^local down \d+ argv:127\.0\.0\.1$/)
  t.match(m.logged(), /err: no alert found while trying to run nosuch\.alert/)
  t.same(m.d.alertHistory, [], 'an alert that did not run is not history')
})

t.test('ack: no more failure alerts, the comment kept; test alert runs the period\'s alert with test output', async (t) => {
  const m = await mon(t, (dir) => `watch local
    service acked
        interval 1h
        monitor echo.monitor
        FAIL=1
        ALERT_RECORD=${dir}
        period
            alert record.alert -x
`)
  m.d.start()
  const e = m.entry('local', 'acked')
  const alerts = () => m.d.alertHistory.length
  m.d.testMonitor(e)
  await until('the failure alert', () => alerts() === 1, 3000)
  t.match(m.d.alertHistory[0], /^alert local acked \d+ .*record\.alert \(-x\) argv:127\.0\.0\.1$/)
  m.d.ack(e, 'on it')
  t.equal(e.st.ackComment, 'on it')
  await until('the check to be over', () => e.nextCheck > 0 && !e.st.monitorRunning, 3000)
  const checked = e.st.lastCheck
  m.d.testMonitor(e)
  await until('the next check', () => e.st.lastCheck > checked && !e.st.monitorRunning && m.d.failureHistory.length === 2, 3000)
  t.equal(alerts(), 1, 'acknowledged: the second failure sent no alert')
  m.d.testAlert(e, 'failure', 2, 0)
  t.match(m.logged(), /alert: calling testalert record\.alert for local\/acked \(.*record\.alert,-x\) test/)
  t.equal(alerts(), 1, 'a test alert is not history')
})

t.test('reset: mon.cf read again; states and disabled hosts kept only with keepstate', async (t) => {
  const m = await mon(t, counted('kept'))
  m.d.start()
  const before = m.entry('local', 'kept').st
  m.d.disabledHosts.add('127.0.0.1')
  await m.d.reset(true)
  t.equal(m.entry('local', 'kept').st, before, 'keepstate: the same state')
  t.ok(m.d.disabledHosts.has('127.0.0.1'), 'and the disabled host')
  m.write((dir) => counted('kept')(dir) + counted('added')(dir).replace(/^watch .*\n/, ''))
  await m.d.reset(false)
  t.not(m.entry('local', 'kept').st, before, 'a fresh state')
  t.same([...m.d.disabledHosts], [])
  t.same(m.d.entries.map((e) => e.svc.name), ['kept', 'added'], 'the new service is there')
})

t.test('saveState: a statedir that cannot be written is logged, not thrown', async (t) => {
  const m = await mon(t, counted('saved'))
  m.d.start()
  m.d.config.globals.statedir = join(m.dir, 'no/such/dir')
  m.d.saveState(['all'])
  t.match(m.log.lines, [/^err: could not write the disabled state file in .*no\/such\/dir: /, /^err: could not write the opstatus state file in /])
})

t.test('close: the running monitor is ended with its process group, and nothing more is scheduled', async (t) => {
  const { m, e } = await hungCheck(t, 'hung')
  const pid = e.pid!
  m.d.close()
  await until('the monitor to be gone', () => !e.st.monitorRunning, 3000)
  t.notOk(existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8')), 'its process is gone')
  t.equal(e.pid, undefined)
  const due = e.due
  m.d.testMonitor(e)
  t.equal(e.due, due, 'a closed daemon schedules nothing')
})
