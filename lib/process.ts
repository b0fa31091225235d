/**
 * Processes, as the agents and daemons see them: alive or not, what they run, and stopping them within a
 * deadline (TERM, then KILL when the time is nearly spent). Node has no pidfd, so exits are noticed by
 * polling /proc every few ms, always bounded by the caller's deadline.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
  // a zombie has exited: only its parent has not collected it yet
  return processStat(pid)?.state !== 'Z'
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

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
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
