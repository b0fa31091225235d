// lib/log.ts: which sink gets which line (syslog through one `logger` child, logfile, debugfile, stderr),
// the line as written, never through a link, and the ocf_log environment. The clock is node:test's mock
// Date; `logger` is a stand-in on PATH that records its argv and what it read.
import t, { type Test } from 'tap'
import { mock } from 'node:test'
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Logger, ocfLogSinks, stamp } from '../../lib/log.ts'

const AT = new Date(2026, 10, 23, 5, 41, 7)
const STAMP = '2026/11/23_05:41:07'

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'halo-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** the clock at AT for the test */
function clock(t: Test): void {
  mock.timers.enable({ apis: ['Date'], now: AT })
  t.teardown(() => mock.timers.reset())
}

/** What the logger wrote to stderr during fn. */
function stderrOf(fn: () => void): string {
  let said = ''
  const write = process.stderr.write
  process.stderr.write = ((chunk: string) => ((said += chunk), true)) as typeof process.stderr.write
  try {
    fn()
  } finally {
    process.stderr.write = write
  }
  return said
}

/** A `logger` on PATH for the test: each run leaves <n>.argv and, once its stdin ends, <n>.stdin. */
function fakeLogger(t: Test): { runs: () => { argv: string[]; stdin: string }[] } {
  const bin = scratch(t)
  const out = scratch(t)
  writeFileSync(join(bin, 'logger'), `#!/bin/sh\nn=$$\nprintf '%s\\n' "$@" > ${out}/$n.argv\ncat > ${out}/$n.tmp\nmv ${out}/$n.tmp ${out}/$n.stdin\n`)
  chmodSync(join(bin, 'logger'), 0o755)
  const path = process.env.PATH
  process.env.PATH = `${bin}:${path}`
  t.teardown(() => void (process.env.PATH = path))
  return {
    runs: () =>
      readdirSync(out)
        .filter((f) => f.endsWith('.stdin'))
        .map((f) => f.slice(0, -'.stdin'.length))
        .map((n) => ({ argv: readFileSync(join(out, `${n}.argv`), 'utf8').split('\n').slice(0, -1), stdin: readFileSync(join(out, `${n}.stdin`), 'utf8') })),
  }
}

t.test('stamp: Heartbeat\'s time stamp, zero-padded', async (t) => {
  t.equal(stamp(new Date(2026, 0, 2, 3, 4, 5)), '2026/01/02_03:04:05')
  t.equal(stamp(AT), STAMP)
})

t.test('logfile: every line but debug, as `tag[pid]: stamp LEVEL: message`', async (t) => {
  clock(t)
  const file = join(scratch(t), 'ha-log')
  const log = new Logger({ tag: 'heartbeat', file, debug: true })
  const said = stderrOf(() => {
    log.err('e')
    log.warn('w')
    log.info('i')
    log.debug('d')
  })
  const p = `heartbeat[${process.pid}]: ${STAMP}`
  t.equal(readFileSync(file, 'utf8'), `${p} ERROR: e\n${p} WARN: w\n${p} info: i\n`)
  t.equal(said, 'DEBUG: d\n', 'a debug line no sink took goes to stderr')
})

t.test('debugfile: every line, debug ones only when debug is on', async (t) => {
  clock(t)
  const dir = scratch(t)
  const file = join(dir, 'ha-log')
  const debugFile = join(dir, 'ha-debug')
  const quiet = new Logger({ tag: 'hb', file, debugFile })
  quiet.info('one')
  quiet.debug('not written')
  const loud = new Logger({ tag: 'hb', file, debugFile, debug: true })
  loud.debug('two')
  const p = `hb[${process.pid}]: ${STAMP}`
  t.equal(readFileSync(debugFile, 'utf8'), `${p} info: one\n${p} debug: two\n`)
  t.equal(readFileSync(file, 'utf8'), `${p} info: one\n`)
})

t.test('stderr: when no sink is set, or none could be written; never with stderr: false', async (t) => {
  t.equal(stderrOf(() => new Logger({ tag: 'IPaddr' }).warn('careful')), 'WARNING: careful\n')
  t.equal(stderrOf(() => new Logger({ tag: 'IPaddr' }).err('bad')), 'ERROR: bad\n')
  t.equal(stderrOf(() => new Logger({ tag: 'IPaddr' }).info('fine')), 'INFO: fine\n')
  t.equal(stderrOf(() => new Logger({ tag: 'IPaddr', stderr: false }).err('bad')), '')
  const missing = join(scratch(t), 'no/such/dir/log')
  t.equal(stderrOf(() => new Logger({ tag: 'IPaddr', file: missing }).err('lost?')), 'ERROR: lost?\n', 'an unwritable logfile falls back to stderr')
})

t.test('a logfile that is a symbolic link is not followed', async (t) => {
  const dir = scratch(t)
  const target = join(dir, 'target')
  writeFileSync(target, '')
  const link = join(dir, 'ha-log')
  symlinkSync(target, link)
  const said = stderrOf(() => new Logger({ tag: 'Filesystem', file: link }).err('through a link?'))
  t.equal(readFileSync(target, 'utf8'), '', 'the link\'s target is untouched')
  t.equal(said, 'ERROR: through a link?\n')
})

t.test('syslog: one `logger --prio-prefix` child for every line, the priority per level, flushed by close()', async (t) => {
  const fake = fakeLogger(t)
  const file = join(scratch(t), 'ha-log')
  const log = new Logger({ tag: 'heartbeat', facility: 'local7', file, debug: true })
  const said = stderrOf(() => {
    log.err('e')
    log.warn('w')
    log.info('i')
    log.debug('d')
  })
  await log.close()
  t.same(fake.runs(), [{ argv: ['--prio-prefix', '-p', 'local7.info', '-t', 'heartbeat'], stdin: '<3>e\n<4>w\n<6>i\n<7>d\n' }])
  t.equal(said, '', 'syslog took the lines: nothing on stderr')
  t.equal(readFileSync(file, 'utf8').split('\n').length - 1, 3, 'and the logfile its three')
  await log.close()
  t.equal(fake.runs().length, 1, 'a second close() has nothing to flush')
})

t.test('syslog: facility none means no syslog, and no logger is run', async (t) => {
  const fake = fakeLogger(t)
  const log = new Logger({ tag: 'heartbeat', facility: 'none' })
  t.equal(stderrOf(() => log.info('x')), 'INFO: x\n')
  await log.close()
  t.same(fake.runs(), [])
})

t.test('ocfLogSinks: HA_LOGFACILITY, HA_LOGFILE, HA_DEBUGLOG and HA_debug (either spelling)', async (t) => {
  t.same(ocfLogSinks('IPaddr(vip)', {}), { tag: 'IPaddr(vip)', facility: undefined, file: undefined, debugFile: undefined, debug: false })
  t.same(ocfLogSinks('x', { HA_LOGFACILITY: 'daemon', HA_LOGFILE: '/var/log/ha-log', HA_DEBUGLOG: '/var/log/ha-debug', HA_debug: '1' }), {
    tag: 'x',
    facility: 'daemon',
    file: '/var/log/ha-log',
    debugFile: '/var/log/ha-debug',
    debug: true,
  })
  t.same(ocfLogSinks('x', { HA_logfacility: 'local0', HA_logfile: '/l', HA_debuglog: '/d', HA_DEBUG: 'yes' }), { tag: 'x', facility: 'local0', file: '/l', debugFile: '/d', debug: true })
  for (const off of ['0', 'false', 'no', 'off', '']) t.equal(ocfLogSinks('x', { HA_debug: off }).debug, false, `HA_debug=${off}: no debug`)
})
