/**
 * The one way halo runs a program: an argv array (never a shell string), a bounded time, output captured.
 * Built on node:child_process rather than execa because agents load this on their monitor path, where
 * every millisecond of startup is paid on every monitor call of every resource.
 */
import type { ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'
import { closeSync, fstatSync, readSync } from 'node:fs'
import { HaloError, errorMessage } from './errors.ts'
import { scratchFile } from './files.ts'

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
  /**
   * stderr and stdout are one output, in the order written (stderr is then empty), as a shell's `2>&1`:
   * mon's monitors write their error text to either stream and mon reads them as one text.
   */
  mergeStderr?: boolean
  /**
   * The child leads its own process group and a timeout signals the whole group: a script's own children
   * (a `sleep` in a shell monitor) would otherwise outlive it and hold its output pipe open forever.
   */
  processGroup?: boolean
  /**
   * Done when the program exits, even while a child it left running still holds its output (Heartbeat's
   * IPaddr leaves its ARP sender behind for seconds): the output goes to private files, not pipes, so what
   * the program wrote is all there at its exit and the child writes on without anyone waiting for it.
   */
  untilExit?: boolean
  /** told the child's pid once it is started (a daemon lists what it runs) */
  onSpawn?: (pid: number) => void
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
  // with no pipe to the child, 'close' comes with its exit
  const toFile = opts.mergeStderr || opts.untilExit
  const outFile = toFile ? outputFile() : undefined
  const errFile = opts.mergeStderr ? outFile : opts.untilExit ? outputFile() : undefined
  let child: ChildProcess
  try {
    child = childProcess().spawn(argv[0], argv.slice(1), {
      env: opts.env,
      cwd: opts.cwd,
      uid: opts.uid,
      gid: opts.gid,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', outFile ?? 'pipe', errFile ?? 'pipe'],
      detached: opts.processGroup,
    })
  } catch (e) {
    closeOutput({ outFile, errFile })
    return Promise.reject(new HaloError(1, `cannot run ${argv[0]}: ${errorMessage(e)}`, { cause: e }))
  }
  return settle(child, argv, opts, { outFile, errFile })
}

/**
 * The rest of run() for a child already started: its output read from the files it writes to (they are
 * closed here) or from its pipes, its timeout kept, its end awaited. ha.d/warm-node.ts hands it a Node
 * that was started ahead, which tells its exit code on `told` as it exits: with its output in files, the
 * run is over then, without waiting for the end of the process (the kernel's teardown of a Node, 8 ms).
 */
export function settle(child: ChildProcess, argv: readonly string[], opts: RunOptions, files: OutputFiles, told?: Readable): Promise<RunResult> {
  const { outFile, errFile } = files
  return new Promise((resolve, reject) => {
    if (child.pid !== undefined) opts.onSpawn?.(child.pid)
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    let killer: NodeJS.Timeout | undefined
    // once: a child that cannot be started has its 'close' after its 'error', and a Node that told its
    // exit code ends after that
    let settled = false
    const kill = (sig: NodeJS.Signals) => {
      if (!opts.processGroup || child.pid === undefined) return void child.kill(sig)
      try {
        process.kill(-child.pid, sig)
      } catch {
        // the group is gone already
      }
    }
    const timer =
      opts.timeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            kill('SIGTERM')
            killer = setTimeout(() => kill('SIGKILL'), 1000)
          }, opts.timeout)
    const end = (): boolean => {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      clearTimeout(killer)
      return true
    }
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (!end()) return
      const stdout = outFile === undefined ? Buffer.concat(out).toString() : readOutput(outFile)
      const stderr = errFile === undefined ? Buffer.concat(err).toString() : errFile === outFile ? '' : readOutput(errFile)
      closeOutput(files)
      resolve({ argv, code, signal, stdout, stderr, timedOut })
    }
    child.stdout?.on('data', (b: Buffer) => out.push(b))
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    if (opts.input !== undefined) child.stdin!.end(opts.input)
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (!end()) return
      closeOutput(files)
      reject(new HaloError(e.code === 'ENOENT' ? 5 : 1, `cannot run ${argv[0]}: ${e.message}`, { cause: e }))
    })
    told?.setEncoding('utf8').on('data', (line: string) => {
      if (/^\d+\n$/.test(line)) done(Number(line), null)
    })
    child.on('close', done)
  })
}

/** The files a child's stdout and stderr go to (one file for both with mergeStderr), when not pipes. */
export interface OutputFiles {
  outFile?: number
  errFile?: number
}

export function closeOutput({ outFile, errFile }: OutputFiles): void {
  if (outFile !== undefined) closeSync(outFile)
  if (errFile !== undefined && errFile !== outFile) closeSync(errFile)
}

/** Runs argv and returns its stdout; a non-zero exit becomes a HaloError quoting the program's stderr. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}, exitCode = 1): Promise<string> {
  const r = await run(argv, opts)
  if (r.code !== 0) throw new HaloError(exitCode, `${argv.join(' ')}: ${describeFailure(r)}`)
  return r.stdout
}

/**
 * A file the child's output goes to. A file, not a pipe: Node cannot hand one pipe to a child twice (two
 * pipes lose the order in which the lines were written), and a file needs no reader to close it. A private
 * scratch file: $TMPDIR is everyone's, and a name there that others can guess is a link they can plant.
 */
export const outputFile = scratchFile

function readOutput(fd: number): string {
  const buf = Buffer.alloc(fstatSync(fd).size)
  readSync(fd, buf, 0, buf.length, 0)
  return buf.toString()
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
export function spawnDetached(
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number; stdout?: number; input?: string } = {},
): number {
  const child = childProcess().spawn(argv[0], argv.slice(1), {
    detached: true,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.stdout ?? 'ignore', opts.stdout ?? 'ignore'],
    env: opts.env,
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
  })
  child.on('error', () => {})
  if (opts.input !== undefined) {
    // Written asynchronously: a reader that never reads (mon's alerts may ignore stdin) cannot block us,
    // nor keep us alive (the pipe is a net.Socket, unref'd like the child), and a reader that exits
    // early (EPIPE) is not our failure.
    const stdin = child.stdin as import('node:net').Socket
    stdin.on('error', () => {})
    stdin.end(opts.input)
    stdin.unref()
  }
  child.unref()
  if (child.pid === undefined) throw new HaloError(5, `cannot run ${argv[0]}`)
  return child.pid
}

/** A long-running program read line by line (a `ping` that reports each reply); stop() ends it. */
export interface Followed {
  /** resolves with the exit code (null when killed or not started) once the program has ended */
  exited: Promise<number | null>
  stop(): void
}

/** Starts argv and hands each line of its stdout to `onLine` as it comes. */
export function follow(argv: readonly string[], onLine: (line: string) => void, opts: { env?: NodeJS.ProcessEnv } = {}): Followed {
  const child = childProcess().spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], env: opts.env })
  let rest = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const lines = (rest + d).split('\n')
    rest = lines.pop()!
    for (const line of lines) onLine(line)
  })
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null))
    child.once('close', (code) => resolve(code))
  })
  return { exited, stop: () => void child.kill() }
}
