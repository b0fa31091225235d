/**
 * The processes of a server the agent launched: it starts in a session of its own (spawnDetached), so
 * its process group holds the server and everything it forked (a wrapper script and its JVM), and
 * nothing else. A server started by an init script is just its pid.
 */
import { readFileSync, readdirSync } from 'node:fs'

/** pids whose process group is `pid`'s own group led by `pid`, the leader first; [pid] when it leads none */
export function processGroup(pid: number): number[] {
  if (groupOf(pid) !== pid) return [pid]
  const members = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== pid)
    .map(Number)
    .filter((p) => groupOf(p) === pid)
  return [pid, ...members]
}

function groupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after "(comm)": state ppid pgrp
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
  } catch {
    return undefined
  }
}
