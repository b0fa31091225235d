/** The client protocol, through Debian's real moncmd where it is installed, and raw where its bytes matter. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hostname } from 'node:os'
import { connect, type AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { run } from '../../lib/exec.ts'
import { serve } from '../../mon/server.ts'
import { TestMon } from '../fixtures/mon/daemon.ts'
import { until } from '../../lib/wait.ts'

const moncmdPath = '/usr/bin/moncmd'

/** A halo-mon core watching a closed port, its protocol served on a free port of 127.0.0.1. */
async function served(t: Test) {
  const mon = new TestMon(
    t,
    (dir) => `hostgroup loop 127.0.0.1
hostgroup other 127.0.0.2 127.0.0.3

watch loop
    service basic
        ALERT_RECORD=${dir}
        interval 200ms
        monitor tcp.monitor -p 1 -t 1
        period p1: wd {Sun-Sat}
            alert record.alert fail-arg
            upalert record.alert up-arg

watch other
    service echo
        ALERT_RECORD=${dir}
        interval 1h
        monitor echo.monitor
        period
            alert record.alert
`,
  )
  // these tests are about the commands, not about who may send them (test/mon/auth.test.ts)
  writeFileSync(join(mon.dir, 'auth.cf'), 'list: all\nstop: all\nstart: all\nreset: all\nack: all\ndisable: all\nenable: all\nsavestate: all\nloadstate: all\ntest: all\n')
  const daemon = await mon.start()
  // its first check would come in an hour: test monitor runs it at the next tick
  daemon.testMonitor(daemon.find('other', 'echo')!)
  const server = await serve(daemon, '127.0.0.1', 0)
  t.teardown(() => server.close())
  const port = (server.address() as AddressInfo).port
  return { mon, daemon, port }
}

/** Sends lines, resolves with everything the server said until it closed (after `quit`). */
function talk(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(lines.map((l) => `${l}\n`).join('')))
    let said = ''
    s.setEncoding('utf8')
    s.on('data', (d: string) => (said += d))
    s.on('error', reject)
    s.on('close', () => resolve(said))
  })
}

t.test('raw protocol: version, unknown commands, list group, list state, quit', async (t) => {
  const { port } = await served(t)
  const before = Math.floor(Date.now() / 1000)
  const said = await talk(port, ['version', 'bogus', 'list group other', 'list nothing', 'stop', 'list state', 'start', 'list state', 'quit'])
  const since = Number(/stopped since (\d+)/.exec(said)?.[1])
  t.ok(since >= before && since <= Date.now() / 1000, `stopped since ${since}: the second of the stop`)
  t.equal(
    said,
    'version 9745\n220 version completed\n' +
      '520 invalid command\n' +
      'hostgroup other 127.0.0.2 127.0.0.3\n220 list group completed\n' +
      '520 unknown list command\n' +
      '220 stop completed\n' +
      `scheduler stopped since ${since}\n220 list state completed\n` +
      '220 start completed\nscheduler running\n220 list state completed\n' +
      '220 quitting\n',
  )
})

t.test("Debian's moncmd against halo-mon", { skip: !existsSync(moncmdPath) && 'moncmd is not installed' }, async (t) => {
  const { mon, daemon, port } = await served(t)
  const moncmd = async (...cmd: string[]) => {
    const r = await run([moncmdPath, '-s', '127.0.0.1', '-p', String(port), ...cmd], { timeout: 10_000 })
    t.equal(r.code, 0, `moncmd ${cmd.join(' ')} exits 0 (${r.stderr.trim()})`)
    return r.stdout
  }
  await mon.waitAlerts(1)
  await until('the echo check', () => daemon.find('other', 'echo')!.st.opstatus === 1, 5000)

  const status = await moncmd('list opstatus')
  t.match(status, /^group=loop service=basic opstatus=0 last_opstatus=\d exitval=1 timer=\d+ last_success=0 .* monitor=tcp.monitor\\20-p\\201\\20-t\\201 last_summary=127.0.0.1 last_detail=\\0a127.0.0.1\\20could\\20not\\20connect:\\20Connection\\20refused\\0a .*interval=0.2 /m)
  t.match(status, /^group=other service=echo opstatus=1 /m)
  t.match(await moncmd('list failures'), /^group=loop service=basic opstatus=0 /m)
  t.notMatch(await moncmd('list failures'), /service=echo/)
  t.match(await moncmd('list successes'), /^group=other service=echo /m)
  t.match(await moncmd('list pids'), new RegExp(`^server ${process.pid}$`, 'm'))
  // mon escapes the history lines: blanks as \20
  t.match(await moncmd('list alerthist'), /^alert\\20loop\\20basic\\20\d+\\20\S+record.alert\\20\(fail-arg\)\\20127.0.0.1$/m)

  await moncmd('disable service other echo')
  await moncmd('disable host 127.0.0.3')
  await moncmd('disable watch loop')
  t.equal(await moncmd('list disabled'), 'group other: 127.0.0.3\nwatch loop\nwatch other service echo\n220 list disabled completed\n')
  await moncmd('enable watch loop')
  await moncmd('enable host 127.0.0.3')
  await moncmd('enable service other echo')
  t.equal(await moncmd('list disabled'), '220 list disabled completed\n')

  // an ack stops the failure alerts; moncmd sends the comment escaped
  await moncmd('ack loop basic "on it now"')
  t.equal(daemon.find('loop', 'basic')!.st.ackComment, ': on it now')
  t.match(await moncmd('list opstatus'), /ackcomment=:\\20on\\20it\\20now/)

  const before = mon.alerts().length
  await moncmd('test alert loop basic 3 p1')
  const [test] = (await mon.waitAlerts(before + 1)).slice(before)
  t.equal(test.env.MON_ALERTTYPE, 'test')
  t.equal(test.env.MON_RETVAL, '3')
  t.equal(test.stdin, 'test\ntest detail\n')
  t.same(test.argv.slice(-1), ['fail-arg'])
  await moncmd('test upalert loop basic 0 p1')
  const [up] = (await mon.waitAlerts(before + 2)).slice(before + 1)
  t.same(up.argv.slice(-2), ['-u', 'up-arg'])

  t.equal(await moncmd('reset keepstate'), `220 reset PID ${process.pid}@${hostname()}\n`)
  t.match(await moncmd('list opstatus loop,basic'), /^group=loop service=basic opstatus=0 /)
  t.equal(daemon.find('loop', 'basic')!.st.ackComment, ': on it now', 'keepstate keeps the ack')
})

t.test("moncmd: version, test monitor, stop, start, savestate, reset, quit", { skip: !existsSync(moncmdPath) && 'moncmd is not installed' }, async (t) => {
  const { mon, daemon, port } = await served(t)
  const moncmd = async (...cmd: string[]) => (await run([moncmdPath, '-s', '127.0.0.1', '-p', String(port), ...cmd], { timeout: 10_000 })).stdout
  await mon.waitAlerts(1)
  t.equal(await moncmd('version'), 'version 9745\n220 version completed\n')

  // the echo service checks once an hour: test monitor runs it at the next tick
  await until('the first echo check', () => daemon.find('other', 'echo')!.st.opstatus === 1, 5000)
  const first = daemon.find('other', 'echo')!.st.failureCount + daemon.find('other', 'echo')!.st.lastSuccess
  t.equal(await moncmd('test monitor other echo'), '220 test monitor completed\n')
  await until('a second echo check', () => daemon.find('other', 'echo')!.st.failureCount + daemon.find('other', 'echo')!.st.lastSuccess !== first, 2000)
  t.equal(await moncmd('test monitor other nothing'), 'other nothing not defined\n220 test monitor completed\n')

  t.equal(await moncmd('stop'), '220 stop completed\n')
  t.match(await moncmd('list state'), /^scheduler stopped since \d+\n220 list state completed\n$/)
  const alerts = mon.alerts().length
  const basic = daemon.find('loop', 'basic')!
  const lastCheck = basic.st.lastCheck
  const due = basic.due
  // the stopped scheduler still moves each service's timer on, without checking
  await until('two more intervals of the stopped scheduler', () => basic.due > due + 300, 3000)
  t.equal(basic.st.lastCheck, lastCheck, 'no check while stopped')
  t.equal(mon.alerts().length, alerts, 'no alert while stopped')
  t.equal(await moncmd('start'), '220 start completed\n')
  await until('checks again', () => basic.st.lastCheck > lastCheck, 2000)

  t.equal(await moncmd('savestate opstatus'), '220 savestate completed\n')
  t.match(readFileSync(join(mon.dir, 'opstatus'), 'utf8'), /^group=loop\tservice=basic\top_status=0\t.*\tp1:alert_sent=\d+/m)
  t.equal(await moncmd('savestate'), '520 savestate error, arguments required\n')

  await moncmd('disable host 127.0.0.3')
  t.equal(await moncmd('reset'), `220 reset PID ${process.pid}@${hostname()}\n`)
  t.not(daemon.find('loop', 'basic'), basic, 'reset: the services are read again')
  t.ok(daemon.find('loop', 'basic')!.st.failureCount < basic.st.failureCount, 'reset without keepstate: a fresh state, counting anew')
  t.equal(await moncmd('list disabled'), '220 list disabled completed\n', 'and nothing disabled')
  t.equal(await moncmd('quit'), '220 quitting\n')
})
