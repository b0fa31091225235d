/**
 * Processes, as the agents and daemons see them: alive or not, what they run, and stopping them within a
 * deadline (TERM, then KILL when the time is nearly spent). Node has no pidfd, so exits are noticed by
 * polling /proc every few ms, always bounded by the caller's deadline.
 */
import { closeSync, fstatSync, readFileSync } from 'node:fs'
import { openNoFollow } from './files.ts'
import { setTimeout as sleep } from 'node:timers/promises'

export function isAlive(pid: number): boolean {
  // a zombie has exited: only its parent has not collected it yet
  return answersSignals(pid) && processStat(pid)?.state !== 'Z'
}

/** The pid is a process, or a zombie (signal 0): one system call, for who asks often. */
export function answersSignals(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * A process's state letter (R, S, T stopped, Z zombie…) and its start time (clock ticks after boot: with
 * the pid, it names one process, since pids are reused); undefined when it is gone.
 */
export function processStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields 3 (state) and 22 (starttime), counted after the command name, which may hold spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0], startTime: fields[19] }
  } catch {
    return undefined
  }
}

/** argv of a running process, or undefined when it is gone */
export function commandLine(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return raw.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1)
  } catch {
    return undefined
  }
}

/** the pid in a pid file, or undefined when the file is missing or holds no number */
export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
    return pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** The real and effective uids of a process, or undefined when it is gone. */
export function processUids(pid: number): [number, number] | undefined {
  try {
    const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? [Number(m[1]), Number(m[2])] : undefined
  } catch {
    return undefined
  }
}

/** When a process started, in ms since the epoch (to the second: the kernel's boot time is whole seconds). */
export function startedAt(pid: number): number | undefined {
  const ticks = processStat(pid)?.startTime
  const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]
  // /proc counts in USER_HZ, which Linux fixes at 100 for user space whatever the kernel's own HZ
  return ticks === undefined || boot === undefined ? undefined : Number(boot) * 1000 + Number(ticks) * 10
}

/** How a pid file's process must look to be acted on: who runs it and, when given, what it runs. */
export interface PidFileCheck {
  /** the uid it runs as (the pid file then belongs to it or to root); undefined: anyone */
  uid?: number
  argv?: (argv: string[]) => boolean
}

/** a clock step or a coarse file system may put the pid file's time a little before its process's start */
const PID_FILE_SLACK_MS = 5000

/**
 * The process a pid file names, when it is the one that was started: `pid` when the file (not a link, a
 * plain file of root's or of `check.uid`'s) names a live process that runs as `check.uid` (any, for root), started before
 * the file was written (a reused pid is newer) and, with `check.argv`, runs what it should. `gone` says why
 * the file names no such process (a crash, a reused pid, a file someone else wrote); {} when there is no
 * pid file or it holds no number.
 */
export function pidFileProcess(file: string, check: PidFileCheck = {}): { pid?: number; gone?: string } {
  let fd: number
  try {
    fd = openNoFollow(file)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ELOOP') return { gone: `${file} is a symbolic link, not a pid file: not trusted` }
    return {}
  }
  let text: string
  let st: ReturnType<typeof fstatSync>
  try {
    st = fstatSync(fd)
    text = st.isFile() ? readFileSync(fd, 'utf8') : ''
  } finally {
    closeSync(fd)
  }
  if (!st.isFile()) return { gone: `${file} is not a plain file: not trusted` }
  if (check.uid !== undefined && st.uid !== 0 && st.uid !== check.uid) {
    return { gone: `${file} belongs to uid ${st.uid}, neither root nor the server's user (uid ${check.uid}): not trusted` }
  }
  const pid = Number.parseInt(text.trim(), 10)
  if (!(pid > 0)) return {}
  if (!isAlive(pid)) return { gone: `the server (pid ${pid} in ${file}) is gone: it crashed or was killed` }
  const uids = processUids(pid)
  // root's server may hand its work to another user (an init script's start-stop-daemon --chuid): its pid
  // file is root's own, and that is the trust; a user's pid file names only that user's processes
  if (check.uid !== undefined && check.uid !== 0 && uids !== undefined && (uids[0] !== check.uid || uids[1] !== check.uid)) {
    return { gone: `pid ${pid} in ${file} runs as uid ${uids[1]}, not as the server's user (uid ${check.uid}): not the server` }
  }
  const started = startedAt(pid)
  if (started !== undefined && started > st.mtimeMs + PID_FILE_SLACK_MS) {
    return { gone: `pid ${pid} in ${file} started after the file was written: the pid was reused, the server is gone` }
  }
  if (check.argv && !check.argv(commandLine(pid) ?? [])) {
    return { gone: `pid ${pid} in ${file} is now "${(commandLine(pid) ?? []).join(' ')}", not the server: it crashed or was killed` }
  }
  return { pid }
}

/** Resolves true once every pid has exited, false if some still run at the deadline (performance.now()). */
export async function waitForExit(pids: readonly number[], deadline: number, everyMs = 10): Promise<boolean> {
  let alive = pids.filter(isAlive)
  while (alive.length > 0) {
    if (performance.now() >= deadline) return false
    await sleep(Math.min(everyMs, Math.max(1, deadline - performance.now())))
    alive = alive.filter(isAlive)
  }
  return true
}

/** Sends `sig` to each of the pids; one gone meanwhile is skipped. */
export function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig)
    } catch {
      // already gone
    }
  }
}

/**
 * TERM, wait until `killAt` (performance.now() time), then KILL and wait until `deadline`.
 * Returns the pids still alive at the end (empty when all are gone).
 */
export async function terminate(pids: readonly number[], killAt: number, deadline: number): Promise<number[]> {
  signal(pids, 'SIGTERM')
  if (await waitForExit(pids, killAt)) return []
  signal(pids.filter(isAlive), 'SIGKILL')
  await waitForExit(pids, deadline)
  return pids.filter(isAlive)
}
