/** The built halo-mon's command line: mon's options, -f (and its failure when the port is taken), bad input, and the disabled state across a restart. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { run } from '../../lib/exec.ts'
import { isAlive, readPidFile, waitForExit } from '../../lib/process.ts'
import { atEnd } from '../harness/cleanup.ts'
import { freePort, TestMon } from '../fixtures/mon/daemon.ts'

const haloMon = join(import.meta.dirname, '../../dist/bin/halo-mon')

const monCf = (dir: string) => `hostgroup loop 127.0.0.1 127.0.0.2

watch loop
    service echo
        ALERT_RECORD=${dir}
        interval 1h
        monitor echo.monitor
`

/** One protocol command, the way moncmd sends it. */
async function ask(port: number, command: string): Promise<string> {
  const r = await run(['/usr/bin/moncmd', '-s', '127.0.0.1', '-p', String(port), command], { timeout: 10_000 })
  return r.stdout
}

/** Starts halo-mon -f; resolves with its pid once the parent has returned. */
async function forked(t: Test, mon: TestMon, port: number, ...more: string[]): Promise<number> {
  const pidfile = join(mon.dir, 'mon.pid')
  const r = await run([haloMon, '-f', '-c', mon.cf, '-P', pidfile, '-p', String(port), ...more], { timeout: 30_000 })
  t.equal(r.code, 0, `halo-mon -f returns 0 once serving (${r.stderr.trim()})`)
  const pid = readPidFile(pidfile)!
  atEnd(t, ['kill', '-KILL', String(pid)])
  return pid
}

async function stop(t: Test, pid: number, pidfile: string): Promise<void> {
  process.kill(pid, 'SIGTERM')
  t.ok(await waitForExit([pid], performance.now() + 5000), 'SIGTERM stops it')
  t.notOk(existsSync(pidfile), 'and its pid file is gone')
}

t.test('bad options: a clear error and the usage, exit 2', async (t) => {
  for (const [argv, said] of [
    [['-x'], /^halo-mon: unknown option -x\nusage: halo-mon /],
    [['-p', 'http'], /^halo-mon: -p http: write a whole number, 1-65535\n/],
    [['-c'], /^halo-mon: -c needs a value\n/],
    [['-l', 'everything'], /^halo-mon: -l everything: write disabled, opstatus, all\n/],
    [['-f=1'], /^halo-mon: -f takes no value\n/],
    [['-i', 'fast'], /^halo-mon: -i fast: write mon's loop tick in seconds, e.g. 1\n/],
    [['-i', '0'], /^halo-mon: -i 0: write mon's loop tick in seconds/],
    [['mon.cf'], /^halo-mon: unexpected argument 'mon.cf': mon.cf is given with -c\n/],
  ] as const) {
    const r = await run([haloMon, ...argv])
    t.equal(r.code, 2, `${argv.join(' ')}: exit 2`)
    t.match(r.stderr, said)
  }
  const help = await run([haloMon, '-h'])
  t.match([help.code, help.stdout], [0, /^usage: halo-mon /])
  t.match((await run([haloMon, '--version'])).stdout, /^halo-mon \d/)
})

t.test('a broken mon.cf: file:line, exit 6, nothing started; a warning names file:line too', async (t) => {
  const mon = new TestMon(t, () => 'watch w\n    service s\n        interval 5\n')
  const r = await run([haloMon, '-c', mon.cf, '-P', '', '-p', String(await freePort())])
  t.equal(r.code, 6)
  t.equal(r.stderr, `halo-mon: ${mon.cf}:9: interval '5': write a positive time with its unit, s m h or d (e.g. 5m)\n`)
  const missing = await run([haloMon, '-c', join(mon.dir, 'none.cf')])
  t.match([missing.code, missing.stderr], [6, /none\.cf: cannot read it/])

  // depend is read but not evaluated: said, with its line, on stderr before anything runs
  writeFileSync(mon.cf, readFileSync(mon.cf, 'utf8').replace('interval 5', 'interval 5s\n        depend SELF:other'))
  const port = await freePort()
  const warned = await run([haloMon, '-f', '-c', mon.cf, '-P', join(mon.dir, 'mon.pid'), '-p', String(port)], { timeout: 30_000 })
  const pid = readPidFile(join(mon.dir, 'mon.pid'))!
  atEnd(t, ['kill', '-KILL', String(pid)])
  t.match(warned.stderr, `halo-mon: warning: ${mon.cf}:10: depend: halo-mon does not evaluate dependencies`)
  await stop(t, pid, join(mon.dir, 'mon.pid'))
})

t.test('-f: in the background once it serves, pid file written, SIGTERM stops it', { skip: !existsSync('/usr/bin/moncmd') && 'no moncmd' }, async (t) => {
  const mon = new TestMon(t, monCf)
  const port = await freePort()
  const pid = await forked(t, mon, port)
  t.ok(isAlive(pid), 'the daemon runs')
  t.not(pid, process.pid)
  t.equal(await ask(port, 'version'), 'version 9745\n220 version completed\n', 'and answers at once')
  await stop(t, pid, join(mon.dir, 'mon.pid'))
})

t.test('disabled hosts, watches and services survive a restart with -l, as in mon', { skip: !existsSync('/usr/bin/moncmd') && 'no moncmd' }, async (t) => {
  const mon = new TestMon(t, monCf)
  writeFileSync(join(mon.dir, 'auth.cf'), 'list: all\ndisable: all\nenable: all\n')
  const port = await freePort()
  let pid = await forked(t, mon, port, '-l')
  await ask(port, 'disable service loop echo')
  await ask(port, 'disable host 127.0.0.2')
  const disabled = 'group loop: 127.0.0.2\nwatch loop service echo\n220 list disabled completed\n'
  t.equal(await ask(port, 'list disabled'), disabled)
  // mon's own state file, in statedir
  t.equal(readFileSync(join(mon.dir, 'disabled'), 'utf8'), 'disable host 127.0.0.2\ndisable service loop echo\n')
  await stop(t, pid, join(mon.dir, 'mon.pid'))

  pid = await forked(t, mon, port, '-l')
  t.equal(await ask(port, 'list disabled'), disabled, '-l: loaded again')
  await ask(port, 'enable service loop echo')
  t.equal(readFileSync(join(mon.dir, 'disabled'), 'utf8'), 'disable host 127.0.0.2\n', 'an enable is saved too')
  await stop(t, pid, join(mon.dir, 'mon.pid'))

  pid = await forked(t, mon, port)
  t.equal(await ask(port, 'list disabled'), '220 list disabled completed\n', 'without -l mon starts with all enabled, and so does halo')
  await stop(t, pid, join(mon.dir, 'mon.pid'))
})

t.test('-f when another process holds the port: non-zero and the reason, no pid file, no daemon left', async (t) => {
  const mon = new TestMon(t, monCf)
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => void holder.close())
  const port = (holder.address() as AddressInfo).port
  const pidfile = join(mon.dir, 'mon.pid')
  const r = await run([haloMon, '-f', '-c', mon.cf, '-P', pidfile, '-p', String(port)], { timeout: 30_000 })
  t.equal(r.code, 1, 'halo-mon -f fails')
  t.match(r.stderr, `halo-mon: halo-mon did not start: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`)
  t.notOk(existsSync(pidfile), 'no pid file')
  const daemons = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && readCmdline(p).includes(mon.cf))
  t.same(daemons, [], 'no halo-mon of this mon.cf runs')
})

function readCmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}
