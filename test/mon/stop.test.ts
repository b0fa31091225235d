/**
 * Stopping the built halo-mon as admins do: Ctrl-C and systemd signal the whole process group, so the
 * logger child (syslog) may die before halo-mon writes its last line. A stop is clean whatever the order:
 * exit 0, nothing on stderr. And -d prints each warning once.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { isAlive } from '../../lib/process.ts'
import { until } from '../../lib/wait.ts'
import { ask, freePort, TestMon } from '../fixtures/mon/daemon.ts'

const haloMon = join(import.meta.dirname, '../../dist/bin/halo-mon')

const monCf = (dir: string) => `hostgroup loop 127.0.0.1

watch loop
    service s
        STAMPS=${dir}/stamps
        interval 1s
        monitor stamp.monitor
`

/** The children of pid (from /proc). */
const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}
const commandOf = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim()

/** halo-mon in its own process group, as a shell or systemd starts it; resolves once it serves and logs through its logger child. */
async function started(t: Test, ...more: string[]) {
  const mon = new TestMon(t, monCf)
  const port = await freePort()
  const child = spawn(haloMon, ['-c', mon.cf, '-P', '', '-p', String(port), ...more], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  const pid = child.pid!
  t.teardown(() => {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // already gone
    }
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  await until('halo-mon to answer', async () => (await ask(port, 'version').catch(() => '')).startsWith('version'), 10_000)
  return { pid, port, exited, stderr: () => stderr }
}

async function withLogger(t: Test) {
  const mon = await started(t)
  await until('its logger child', () => children(mon.pid).some((c) => commandOf(c) === 'logger'), 5000)
  const logger = children(mon.pid).find((c) => commandOf(c) === 'logger')!
  return { ...mon, logger }
}

t.test('SIGTERM to the whole process group: exit 0, no trace', async (t) => {
  // who of halo-mon and its logger goes first is a race: a few stops see both orders
  for (let i = 0; i < 4; i++) {
    const mon = await withLogger(t)
    process.kill(-mon.pid, 'SIGTERM')
    t.same(await mon.exited, { code: 0, signal: null })
    t.equal(mon.stderr(), '')
  }
})

t.test('the logger dies first, then halo-mon gets SIGTERM: exit 0, no trace', async (t) => {
  const mon = await withLogger(t)
  process.kill(mon.logger, 'SIGTERM')
  await until('the logger to be gone', () => !children(mon.pid).includes(mon.logger), 5000)
  process.kill(mon.pid, 'SIGTERM')
  t.same(await mon.exited, { code: 0, signal: null })
  t.equal(mon.stderr(), '')
})

t.test('Ctrl-C, then systemd\'s SIGTERM, to the group: exit 0, no trace', async (t) => {
  const mon = await withLogger(t)
  process.kill(-mon.pid, 'SIGINT')
  process.kill(-mon.pid, 'SIGTERM')
  t.same(await mon.exited, { code: 0, signal: null })
  t.equal(mon.stderr(), '')
  t.notOk(isAlive(mon.logger), 'no logger left behind')
})

t.test('-d: each warning once, dep_behavior and dep_memory included', async (t) => {
  const mon = new TestMon(t, (dir) => `dep_behavior = m
dep_memory = 10s

hostgroup loop 127.0.0.1

watch loop
    service s
        STAMPS=${dir}/stamps
        interval 1s
        dep_behavior hm
        dep_memory 1m
        monitor stamp.monitor
`)
  const port = await freePort()
  const child = spawn(haloMon, ['-d', '-c', mon.cf, '-P', '', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => child.kill('SIGKILL'))
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise((resolve) => child.on('close', resolve))
  await until('halo-mon to answer', async () => (await ask(port, 'version').catch(() => '')).startsWith('version'), 10_000)
  child.kill('SIGTERM')
  t.equal(await exited, 0)
  const warnings = stderr.split('\n').filter((l) => /warning/i.test(l))
  for (const line of [7, 8, 16, 17]) t.equal(warnings.filter((w) => w.includes(`${mon.cf}:${line}: `)).length, 1, `line ${line} warned once`)
  t.match(warnings.join('\n'), /mon\.cf:7: halo-mon does not evaluate dependencies/)
  t.match(warnings.join('\n'), /mon\.cf:16: dep_behavior: halo-mon does not evaluate dependencies/)
  t.equal(warnings.length, 4, warnings.join('\n'))
})
