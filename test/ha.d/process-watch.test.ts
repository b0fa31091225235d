// recovery.cf's watch=: the engine looks at the process a pid file names while the group is settled here;
// its end is a failure, told once; a pid file not yet written, or naming a dead process before the first
// sighting, is none; a process looked at while the group is in transition is not judged. A perl waits on
// each watched process's pidfd; without perl the watch looks often instead.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { Logger } from '../../lib/log.ts'
import { until } from '../../lib/wait.ts'
import { ProcessWatch } from '../../ha.d/process-watch.ts'
import { commandLine } from '../../lib/process.ts'

interface Rig {
  pidFile: string
  failures: { name: string; why: string }[]
  looks: () => number
  settled: { now: boolean }
  log: () => string
  sleeper: () => ChildProcess
}

/** the perls this process runs that wait on `pid` */
const perlsFor = (pid: number) =>
  readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8')
    .split(' ')
    .filter(Boolean)
    .filter((c) => {
      const argv = commandLine(Number(c)) ?? []
      return argv[0] === 'perl' && argv.at(-1) === String(pid)
    })

function rig(t: Test): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'halo-watch-'))
  const logFile = join(dir, 'ha-log')
  const failures: { name: string; why: string }[] = []
  const settled = { now: true }
  let looks = 0
  const children: ChildProcess[] = []
  const watch = new ProcessWatch({
    log: new Logger({ tag: 'heartbeat', debugFile: logFile, debug: true, stderr: false }),
    watched: () => [{ name: 'appserver', pidFile: join(dir, 'server.pid') }],
    unsettled: () => {
      looks++
      return !settled.now
    },
    failed: (name, why) => failures.push({ name, why }),
  })
  watch.start()
  t.teardown(() => {
    watch.stop()
    for (const c of children) c.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    pidFile: join(dir, 'server.pid'),
    failures,
    looks: () => looks,
    settled,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    sleeper: () => {
      const c = spawn('/bin/sleep', ['600'], { stdio: 'ignore' })
      children.push(c)
      return c
    },
  }
}

/** a server started and its pid file written; resolved once the watch has seen it */
async function watchedServer(r: Rig): Promise<ChildProcess> {
  const server = r.sleeper()
  writeFileSync(r.pidFile, `${server.pid}\n`)
  await until('the watch to see the server', () => r.log().includes(`watching pid ${server.pid}`))
  return server
}

/** resolves after `n` more looks of the watch */
const looksMore = (r: Rig, n: number) => {
  const from = r.looks()
  return until(`${n} looks of the watch`, () => r.looks() >= from + n, 5000)
}

t.test('the watched process killed: one failure naming its pid', async (t) => {
  const r = rig(t)
  const server = await watchedServer(r)
  server.kill('SIGKILL')
  await once(server, 'exit')
  await until('the failure', () => r.failures.length > 0)
  await looksMore(r, 3)
  t.same(r.failures, [{ name: 'appserver', why: `its process ended (pid ${server.pid}, ${r.pidFile})` }], 'told once, with the pid')
})

t.test('no pid file yet, then a stale one: no failure until the process has been seen', async (t) => {
  const r = rig(t)
  await looksMore(r, 3)
  const dead = r.sleeper()
  dead.kill('SIGKILL')
  await once(dead, 'exit')
  writeFileSync(r.pidFile, `${dead.pid}\n`)
  await looksMore(r, 3)
  t.same(r.failures, [], 'a pid file not written yet, or naming a dead process, is no crash of what this engine started')
  t.match(r.log(), /not watched until it names the running process/, 'the stale pid file is said')
  t.equal(r.log().match(/not watched until/g)?.length, 1, 'once')
  const server = await watchedServer(r)
  rmSync(r.pidFile)
  server.kill('SIGKILL')
  await until('the failure', () => r.failures.length > 0)
  t.match(r.failures, [{ why: / removed\)$/ }], 'its pid file gone with it')
})

t.test('a process that ends while the group is in transition is not judged', async (t) => {
  const r = rig(t)
  const server = await watchedServer(r)
  r.settled.now = false
  await looksMore(r, 1)
  server.kill('SIGKILL')
  await once(server, 'exit')
  await looksMore(r, 3)
  const next = r.sleeper()
  writeFileSync(r.pidFile, `${next.pid}\n`)
  r.settled.now = true
  await until('the watch to see the new server', () => r.log().includes(`watching pid ${next.pid}`))
  t.same(r.failures, [], 'the old process is forgotten: its successor is watched')
})

t.test('the pid file names another live process after the first ended: followed, said', async (t) => {
  const r = rig(t)
  const first = await watchedServer(r)
  const second = r.sleeper()
  writeFileSync(r.pidFile, `${second.pid}\n`)
  first.kill('SIGKILL')
  await until('the watch to follow', () => r.log().includes(`names pid ${second.pid} now`))
  t.same(r.failures, [], 'no failure: the resource runs')
})

t.test("a perl waits on the watched process's pidfd, and ends with the watch", async (t) => {
  const r = rig(t)
  const server = await watchedServer(r)
  await until('its perl', () => perlsFor(server.pid!).length === 1)
  r.settled.now = false
  await until('its perl to end with the watch of it', () => perlsFor(server.pid!).length === 0)
  t.same(r.failures, [], 'no failure')
})

t.test('without perl the watch still sees the end, by looking', async (t) => {
  const path = process.env.PATH
  process.env.PATH = '/nonexistent'
  t.teardown(() => {
    process.env.PATH = path
  })
  const r = rig(t)
  const server = await watchedServer(r)
  t.same(perlsFor(server.pid!), [], 'no perl')
  server.kill('SIGKILL')
  await until('the failure', () => r.failures.length > 0)
  t.match(r.failures, [{ why: `its process ended (pid ${server.pid}` }])
})
