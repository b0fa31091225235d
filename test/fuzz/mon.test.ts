// Random bytes and random command lines at the built halo-mon's client port: it never dies, and keeps
// answering `version` to the next client. (Without authentication, commands like stop or disable are
// carried out: that is mon's protocol; what matters here is that nothing stops the server.)
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { childProcess } from '../../lib/exec.ts'
import { atEnd } from '../harness/cleanup.ts'
import { until } from '../../lib/wait.ts'
import { freePort, TestMon } from '../fixtures/mon/daemon.ts'
import { Rng, SEED, seedNote, tries } from './mutate.ts'
import { createConnection } from 'node:net'

const haloMon = join(import.meta.dirname, '../../dist/bin/halo-mon')

const COMMANDS = ['quit', 'version', 'protid', 'login', 'list', 'stop', 'start', 'reset', 'ack', 'disable', 'enable', 'savestate', 'loadstate', 'test',
  'LIST', 'Version', 'checkauth', 'servertime', 'set', 'get', 'setview', 'getview', 'dump', 'clear', 'reload', 'nosuch', 'constructor', '__proto__',
  'toString']
/** every command to every client, so the fuzz reaches each command's code (test/mon/auth.test.ts checks who may) */
const AUTH_CF = `${COMMANDS.filter((c) => /^[a-z]+$/.test(c) && c !== 'nosuch' && c !== 'constructor').join(': all\n')}: all\n`
const ARGS = ['opstatus', 'failures', 'successes', 'disabled', 'alerthist', 'failurehist', 'pids', 'state', 'watch', 'group', 'service', 'host',
  'monitor', 'alert', 'upalert', 'startupalert', 'ackalert', 'keepstate', 'stopped', 'all', 'loop', 'echo', 'loop,echo', 'loop,', ',echo',
  'nosuch', 'always', 'descriptions', 'aliases', 'aliasgroups', 'deps', 'views', 'warnings', 'dtlog', 'root', 'AUTH_ANY', 'password', '127.0.0.1', '"a quoted comment"', "'x", '"unclosed', '\\', '\\\\', '9745', '-1', '1e309', 'constructor', '__proto__',
  'toString', 'hasOwnProperty', '%', '%s%n', '\t', '\u00e9', '\u{1f600}', 'x'.repeat(5000)]

function commandLine(rng: Rng): string {
  if (rng.chance(0.15)) return rng.bytes(rng.int(300)).toString('latin1')
  const words = [rng.pick(COMMANDS), ...Array.from({ length: rng.int(6) }, () => (rng.chance(0.1) ? rng.bytes(1 + rng.int(10)).toString('latin1') : rng.pick(ARGS)))]
  return words.join(rng.pick([' ', '  ', '\t', ' \t ']))
}

/** Sends `data` then `version`; resolves with what came back once version answered or the server closed. */
function session(port: number, data: string, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(port, '127.0.0.1')
    let got = ''
    const finish = () => {
      clearTimeout(timer)
      conn.destroy()
      resolve(got)
    }
    const timer = setTimeout(() => {
      conn.destroy()
      reject(new Error(`halo-mon did not answer version within ${ms} ms (got ${JSON.stringify(got.slice(-200))})`))
    }, ms)
    conn.on('connect', () => conn.end(`${data}\nversion\n`))
    conn.on('data', (d) => {
      got += d.toString('latin1')
      if (got.includes('220 version completed\n')) finish()
    })
    conn.on('close', finish)
    conn.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? finish() : reject(e)))
  })
}

t.test('random bytes and command lines at halo-mon\'s port', async (t) => {
  t.comment(seedNote('mon'))
  const rng = new Rng(SEED, 'mon')
  const mon = new TestMon(t, (dir) => `hostgroup loop 127.0.0.1 127.0.0.2

watch loop
    service echo
        ALERT_RECORD=${dir}
        interval 1h
        monitor echo.monitor
        period always: wd {Sun-Sat}
            alert record.alert
            upalert record.alert
`)
  writeFileSync(join(mon.dir, 'auth.cf'), AUTH_CF)
  const port = await freePort()
  // foreground, debug to stderr: a crash says why in the test's output
  const child = childProcess().spawn(haloMon, ['-d', '-c', mon.cf, '-P', '', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
  atEnd(t, ['kill', '-KILL', String(child.pid)])
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)))
  t.teardown(() => {
    if (!t.passing()) t.comment(`halo-mon's stderr (last lines):\n${stderr.slice(-4000)}`)
  })
  const alive = () => child.exitCode === null && child.signalCode === null
  await until('halo-mon to answer version', async () => (await session(port, '', 1000).catch(() => '')).includes('version 9745'), 10_000)

  // first what the fuzz once found (test with an Object method for the alert kind)
  t.match(await session(port, 'test constructor loop echo 0 always\ntest toString loop echo 1 always'), /^520 test error\n520 test error\nversion 9745\n/,
    'a test command naming no alert kind is refused, and the server answers on')

  const n = tries(3000)
  let bytes = 0
  let sessions = 0
  for (let sent = 0; sent < n; ) {
    const lines = Array.from({ length: Math.min(1 + rng.int(40), n - sent) }, () => commandLine(rng))
    sent += lines.length
    const data = lines.join(rng.pick(['\n', '\r\n']))
    bytes += data.length
    sessions++
    await session(port, data)
    if (!alive()) break
  }
  // and a client that sends a long line without ever ending it, then goes
  const endless = rng.bytes(200_000).toString('latin1').replace(/\n/g, ' ')
  await new Promise<void>((resolve) => createConnection(port, '127.0.0.1', function (this: import('node:net').Socket) {
    this.end(endless, () => resolve())
  }).on('error', () => resolve()))
  t.comment(`fuzz halo-mon: ${n} command lines (${bytes} bytes) in ${sessions} connections, then ${endless.length} bytes without a newline`)

  t.ok(alive(), 'halo-mon is alive')
  t.match(await session(port, ''), /^version 9745\n220 version completed\n$/, 'and answers version to the next client')
  t.match(await session(port, 'list state'), /^scheduler (running|stopped since \d+)\n220 list state completed\n/, 'and list state')
})
