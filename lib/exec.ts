/**
 * The one way halo runs a program: an argv array (never a shell string), a bounded time, output captured.
 * Built on node:child_process rather than execa because agents load this on their monitor path, where
 * every millisecond of startup is paid on every monitor call of every resource.
 */
import type { SpawnOptions } from 'node:child_process'
import { HaloError } from './errors.ts'

/**
 * Loading child_process costs about 6 ms at startup (measured on Node 20): a monitor that spawns
 * nothing (Filesystem at depth 0, mysql's socket check) must not pay it, so it is loaded on first use.
 */
export const childProcess = () => process.getBuiltinModule('node:child_process') as typeof import('node:child_process')

export interface RunOptions {
  /** milliseconds; the child gets TERM, then KILL 1 s later */
  timeout?: number
  env?: NodeJS.ProcessEnv
  cwd?: string
  input?: string
  uid?: number
  gid?: number
}

export interface RunResult {
  argv: readonly string[]
  /** exit code, or null when killed by a signal */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

/** Runs argv to completion. Resolves whatever the exit code; rejects only when it cannot be started. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = {
      env: opts.env,
      cwd: opts.cwd,
      uid: opts.uid,
      gid: opts.gid,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    }
    const child = childProcess().spawn(argv[0], argv.slice(1), spawnOpts)
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    let killer: NodeJS.Timeout | undefined
    const timer =
      opts.timeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            child.kill('SIGTERM')
            killer = setTimeout(() => child.kill('SIGKILL'), 1000)
          }, opts.timeout)
    child.stdout!.on('data', (b: Buffer) => out.push(b))
    child.stderr!.on('data', (b: Buffer) => err.push(b))
    if (opts.input !== undefined) child.stdin!.end(opts.input)
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new HaloError(e.code === 'ENOENT' ? 5 : 1, `cannot run ${argv[0]}: ${e.message}`, { cause: e }))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(killer)
      resolve({
        argv,
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        timedOut,
      })
    })
  })
}

/** Runs argv and returns its stdout; a non-zero exit becomes a HaloError quoting the program's stderr. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}, exitCode = 1): Promise<string> {
  const r = await run(argv, opts)
  if (r.code !== 0) throw new HaloError(exitCode, `${argv.join(' ')}: ${describeFailure(r)}`)
  return r.stdout
}

export function describeFailure(r: RunResult): string {
  const why = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`
  const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ')
  return said ? `${why}: ${said}` : why
}

/**
 * Starts a program that outlives the caller: own session, no stdio tied to ours (so ocf-tester and
 * Pacemaker, which wait for EOF on the agent's output, do not wait for it), not awaited.
 */
export function spawnDetached(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number; stdout?: number } = {}): number {
  const child = childProcess().spawn(argv[0], argv.slice(1), {
    detached: true,
    stdio: ['ignore', opts.stdout ?? 'ignore', opts.stdout ?? 'ignore'],
    env: opts.env,
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
  })
  child.on('error', () => {})
  child.unref()
  if (child.pid === undefined) throw new HaloError(5, `cannot run ${argv[0]}`)
  return child.pid
}
