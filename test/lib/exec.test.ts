// lib/exec.ts: the argv run, its exit, its output (apart or merged in order), its timeout (the whole
// process group when asked), its input; the errors it gives; a child that tells its exit code before it
// ends (settle); detached and followed programs.
import t, { type Test } from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { childProcess, describeFailure, follow, outputFile, run, runOk, settle, spawnDetached, type RunResult } from '../../lib/exec.ts'
import { HaloError } from '../../lib/errors.ts'
import { until } from '../../lib/wait.ts'

const sh = (script: string, ...args: string[]) => ['/bin/sh', '-c', script, 'sh', ...args]

/** whether a process exists (and is not a zombie we have not reaped) */
const running = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'halo-exec-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('run: argv as given (no shell reads it), exit code, stdout and stderr apart', async (t) => {
  const odd = '$(touch /nonexistent); * "quoted" \\ `x`'
  const r = await run(sh('printf "%s\\n" "$1"; echo warn >&2; exit 3', odd))
  t.same(r, { argv: sh('printf "%s\\n" "$1"; echo warn >&2; exit 3', odd), code: 3, signal: null, stdout: `${odd}\n`, stderr: 'warn\n', timedOut: false })
})

t.test('run: input goes to stdin; cwd and env are the child\'s', async (t) => {
  const dir = scratch(t)
  const r = await run(sh('cat; pwd; printf "%s" "$HALO_X"'), { input: 'line one\n', cwd: dir, env: { HALO_X: 'x=1', PATH: '/usr/bin:/bin' } })
  t.equal(r.stdout, `line one\n${dir}\nx=1`)
  t.equal((await run(['/bin/cat'])).stdout, '', 'without input, stdin is empty (not ours)')
})

t.test('run: mergeStderr keeps the order in which both streams were written', async (t) => {
  const r = await run(sh('echo 1; echo 2 >&2; echo 3; echo 4 >&2'), { mergeStderr: true })
  t.equal(r.stdout, '1\n2\n3\n4\n')
  t.equal(r.stderr, '')
})

t.test('run: a timeout sends TERM, and KILL a second later to what ignores it', async (t) => {
  // exec: the shell's own sleep would hold the output open past the TERM (what processGroup is for)
  const r = await run(sh('echo started; exec sleep 30'), { timeout: 100 })
  t.match(r, { code: null, signal: 'SIGTERM', timedOut: true, stdout: 'started\n' })
  const stubborn = await run(sh("trap '' TERM; echo ignoring; while :; do sleep 0.05; done"), { timeout: 100, processGroup: true })
  t.match(stubborn, { signal: 'SIGKILL', timedOut: true, stdout: 'ignoring\n' })
  t.equal(describeFailure(stubborn), 'timed out: ignoring')
})

t.test('run: with processGroup the timeout ends the children too, and onSpawn names the leader', async (t) => {
  const dir = scratch(t)
  const pidFile = join(dir, 'child')
  let leader = 0
  // the sleep holds no pipe of ours: only the signal to the whole group can end it before its 30 s
  const r = await run(sh(`sleep 30 >/dev/null 2>&1 & echo $! > ${pidFile}; wait`), { timeout: 200, processGroup: true, onSpawn: (pid) => (leader = pid) })
  t.equal(r.timedOut, true)
  t.ok(leader > 0, 'onSpawn was told the pid')
  const child = Number(readFileSync(pidFile, 'utf8'))
  t.teardown(() => {
    try {
      process.kill(child, 'SIGKILL')
    } catch {
      // gone, as it should be
    }
  })
  await until('the background sleep to end with its group', () => !running(child), 3000).catch(() => {})
  t.notOk(running(child), 'the grandchild is gone')
})

t.test('run: a program that cannot be started rejects with a HaloError (5 when missing)', async (t) => {
  const missing = await run(['/nonexistent/halo-nothing']).catch((e: unknown) => e)
  t.type(missing, HaloError)
  t.match(missing, { exitCode: 5, message: /^cannot run \/nonexistent\/halo-nothing: .*ENOENT/ })
  const dir = scratch(t)
  const notExec = await run([dir]).catch((e: unknown) => e)
  t.match(notExec, { exitCode: 1, message: new RegExp(`^cannot run ${dir}: .*EACCES`) })
  // with output files: the 'close' that follows the 'error' reads none of the files closed by then
  for (const opts of [{ untilExit: true }, { mergeStderr: true }]) {
    t.match(await run(['/nonexistent/halo-nothing'], opts).catch((e: unknown) => e), { exitCode: 5 }, `rejected with ${Object.keys(opts)[0]}`)
  }
})

t.test('settle: a child that tells its exit code is done then, with its output, while it still ends', async (t) => {
  const files = { outFile: outputFile(), errFile: outputFile() }
  const argv = sh('echo said; echo oops >&2; echo 3 >&3; exec sleep 30')
  const child = childProcess().spawn(argv[0], argv.slice(1), { stdio: ['ignore', files.outFile, files.errFile, 'pipe'] })
  t.teardown(() => child.kill('SIGKILL'))
  const r = await settle(child, argv, { untilExit: true }, files, child.stdio[3] as Readable)
  t.same([r.code, r.signal, r.stdout, r.stderr], [3, null, 'said\n', 'oops\n'])
  t.ok(running(child.pid!), 'the child had not ended')
})

t.test('runOk: stdout on success; a failure names the argv and quotes the last three lines it said', async (t) => {
  t.equal(await runOk(['/bin/echo', 'fine']), 'fine\n')
  const e = await runOk(sh('for i in 1 2 3 4; do echo "line $i" >&2; done; exit 2'), {}, 7).catch((x: unknown) => x)
  t.type(e, HaloError)
  t.match(e, { exitCode: 7, message: /^\/bin\/sh -c .* sh: exit 2: line 2 \/ line 3 \/ line 4$/ })
  await t.rejects(runOk(sh('echo only-stdout; exit 1')), { exitCode: 1, message: /: exit 1: only-stdout$/ }, 'stdout when stderr is empty')
})

t.test('describeFailure: timed out, killed, exit code, with or without output', async (t) => {
  const r = (over: Partial<RunResult>): RunResult => ({ argv: ['x'], code: 1, signal: null, stdout: '', stderr: '', timedOut: false, ...over })
  t.equal(describeFailure(r({})), 'exit 1')
  t.equal(describeFailure(r({ code: null, signal: 'SIGKILL' })), 'killed by SIGKILL')
  t.equal(describeFailure(r({ code: null, signal: 'SIGTERM', timedOut: true, stdout: 'a\n' })), 'timed out: a')
  t.equal(describeFailure(r({ stdout: 'out\n', stderr: '  err  \n' })), 'exit 1: err', 'stderr first, trimmed')
})

t.test('spawnDetached: its own session, not awaited, given its input', async (t) => {
  const dir = scratch(t)
  const out = join(dir, 'out')
  const pid = spawnDetached(sh(`cat > ${out}.tmp; ps -o sid= -p $$ >> ${out}.tmp; mv ${out}.tmp ${out}`), { input: 'hello\n' })
  await until('the detached program to write its file', () => existsSync(out), 3000)
  const [said, sid] = readFileSync(out, 'utf8').split('\n')
  t.equal(said, 'hello')
  t.equal(Number(sid), pid, 'it leads its own session')
  t.throws(() => spawnDetached(['/nonexistent/halo-nothing']), { exitCode: 5, message: 'cannot run /nonexistent/halo-nothing' })
})

t.test('follow: each line of stdout as it comes, the exit code, stop() ends it', async (t) => {
  const lines: string[] = []
  const done = follow(sh('printf "a\\nb"; printf "c\\n"; exit 4'), (l) => lines.push(l))
  t.equal(await done.exited, 4)
  t.same(lines, ['a', 'bc'], 'a line split across writes is one line')
  const heard: string[] = []
  const forever = follow(sh('echo up; exec sleep 30'), (l) => heard.push(l))
  await until('the first line', () => heard.length > 0, 3000)
  forever.stop()
  t.equal(await forever.exited, null, 'killed: no exit code')
  t.same(heard, ['up'])
  t.equal(await follow(['/nonexistent/halo-nothing'], () => {}).exited, null, 'not started: null')
})
