import t, { type Test } from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Logger } from '../../lib/log.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { isAlive } from '../../lib/process.ts'
import { ResourceManager, statusSaysRunning, type Resource } from '../../ha.d/resources.ts'

/** the hbtest resource script of the lab's test cluster */
const hbtestDir = fileURLToPath(new URL('../../demo/hbtest/', import.meta.url))

function setup(t: Test, opts: { lastResort?: 'exit' | 'log' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'halo-rm-'))
  const logFile = join(dir, 'ha-log')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const gaveUp: string[] = []
  const rm = new ResourceManager({
    log: new Logger({ tag: 'heartbeat', file: logFile, stderr: false }),
    scriptDirs: [join(dir, 'resource.d'), hbtestDir],
    env: { PATH: process.env.PATH, HBTEST_DIR: dir },
    stopTries: 3,
    stopRetryMs: 1,
    lastResort: opts.lastResort ?? 'exit',
    onGiveUp: (why) => gaveUp.push(why),
  })
  const calls = () =>
    readFileSync(join(dir, 'log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').slice(1).join(' '))
      .filter((l) => !l.endsWith('status'))
  return { dir, rm, calls, gaveUp, logFile }
}

const group: Resource[] = ['r1', 'r2', 'r3'].map((n) => ({ script: 'hbtest', args: [n] }))

t.test("status is read as ResourceManager reads it: the words, not the exit code", async (t) => {
  for (const out of ['running', 'Running OK', 'OK', 'INFO: Running OK', 'r1 is running']) t.ok(statusSaysRunning(out), out)
  for (const out of ['stopped', 'not running', 'NOT Running', 'Resource is stopped', '', 'r1 is not  running']) t.notOk(statusSaysRunning(out), out)
})

t.test('start left to right, stop right to left, with times in the log', async (t) => {
  const { rm, calls, logFile } = setup(t)
  t.ok(await rm.takeGroup(group))
  t.ok(await rm.giveGroup(group))
  t.same(calls(), ['r1 start', 'r2 start', 'r3 start', 'r3 stop', 'r2 stop', 'r1 stop'])
  t.match(readFileSync(logFile, 'utf8'), /info: hbtest::r2 started in \d+ ms/)
})

t.test('a resource already running is not started again', async (t) => {
  const { rm, calls, dir } = setup(t)
  writeFileSync(join(dir, 'r2.running'), '')
  t.ok(await rm.takeGroup(group))
  t.same(calls(), ['r1 start', 'r3 start'])
})

t.test('a failed start stops what was started, right to left, and reports failure', async (t) => {
  const { rm, calls, dir } = setup(t)
  writeFileSync(join(dir, 'r2.fail-start'), '')
  t.notOk(await rm.takeGroup(group))
  t.same(calls(), ['r1 start', 'r2 start', 'r2 stop', 'r1 stop'])
  t.notOk(existsSync(join(dir, 'r1.running')))
})

t.test('a stop that keeps failing is retried, then the last resort', async (t) => {
  const { rm, calls, dir, gaveUp } = setup(t)
  await rm.takeGroup(group)
  writeFileSync(join(dir, 'r2.fail-stop'), '')
  t.notOk(await rm.giveGroup(group))
  t.same(calls().slice(3), ['r3 stop', 'r2 stop', 'r2 stop', 'r2 stop', 'r1 stop'], '3 tries, then go on with the rest')
  t.equal(gaveUp.length, 1)
  t.match(gaveUp[0], /hbtest::r2 cannot be stopped .*stop fails as asked/)
})

t.test('a missing script is a clear failure naming the resource', async (t) => {
  const { rm, gaveUp, logFile } = setup(t)
  t.notOk(await rm.isRunning({ script: 'nosuch', args: ['x'] }))
  t.match(readFileSync(logFile, 'utf8'), /ERROR: resource nosuch::x: no executable nosuch in /)
  t.notOk(await rm.takeGroup([{ script: 'nosuch', args: [] }]))
  t.same(gaveUp, [], 'what cannot run cannot be running: no last resort')
})

/**
 * A script that leaves a child holding its output, as Heartbeat's IPaddr leaves its ARP sender: `start`
 * says what it did, starts a sleeper on the same stdout (it runs until the test ends) and exits EXIT.
 */
function leavesAChild(t: Test, dir: string, exit: number): () => boolean {
  const pidFile = join(dir, 'sleeper.pid')
  mkdirSync(join(dir, 'resource.d'), { recursive: true })
  writeFileSync(
    join(dir, 'resource.d', 'arper'),
    `#!/bin/sh
case "$1" in
start) echo "arp sender started"; echo "said on stderr" >&2; sleep 3600 >&1 & echo $! >${pidFile}; [ ${exit} = 0 ] && touch ${dir}/arper.running; exit ${exit};;
stop) rm -f ${dir}/arper.running;;
status) [ -e ${dir}/arper.running ] && echo running || echo stopped;;
esac
`,
    { mode: 0o755 },
  )
  const pid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0)
  t.teardown(() => void (pid() > 0 && isAlive(pid()) && process.kill(pid())))
  return () => pid() > 0 && isAlive(pid())
}

/** What `action` settled with, or 'still waiting' when it has not within a bound far above any script's run. */
const bounded = <T>(action: Promise<T>) => Promise.race([action, sleep(20_000, 'still waiting' as const, { ref: false })])

t.test("a script's exit ends its action, though a child it left still holds its output", async (t) => {
  const { rm, calls, dir } = setup(t)
  const sleeperAlive = leavesAChild(t, dir, 0)
  t.equal(await bounded(rm.takeGroup([{ script: 'arper', args: [] }, { script: 'hbtest', args: ['r1'] }])), true, 'the group started')
  t.same(calls(), ['r1 start'], 'the next resource started')
  t.ok(sleeperAlive(), 'while the child the first one left runs on')
})

t.test('what a script said before it exited is kept, whatever it left running', async (t) => {
  const { rm, calls, dir, logFile } = setup(t)
  const sleeperAlive = leavesAChild(t, dir, 1)
  t.equal(await bounded(rm.takeGroup([{ script: 'hbtest', args: ['r1'] }, { script: 'arper', args: [] }])), false, 'the start failed')
  t.match(readFileSync(logFile, 'utf8'), /ERROR: arper failed to start \(exit 1: said on stderr\); stopping the group again/)
  t.same(calls(), ['r1 start', 'r1 stop'], 'the group stopped again')
  t.ok(sleeperAlive(), 'while the child it left runs on')
})
