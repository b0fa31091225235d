import t, { type Test } from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Logger } from '../../lib/log.ts'
import { ResourceManager, statusSaysRunning, type Resource } from '../../ha.d/resources.ts'

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url))

function setup(t: Test, opts: { lastResort?: 'exit' | 'log' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'halo-rm-'))
  const logFile = join(dir, 'ha-log')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const gaveUp: string[] = []
  const rm = new ResourceManager({
    log: new Logger({ tag: 'heartbeat', file: logFile, stderr: false }),
    scriptDirs: [join(dir, 'resource.d'), fixtures],
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
