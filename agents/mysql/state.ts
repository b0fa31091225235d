/**
 * What the server's files and process say about it, the one judgement monitor, start and stop share.
 * Stopped (OCF 7) is only the clean state: no pid file and no socket. Files left behind by a server that
 * crashed or was killed are a failure, so the cluster notices, stops (which clears them) and recovers.
 */
import { existsSync, rmSync } from 'node:fs'
import { pidFileProcess } from '../../lib/process.ts'
import { describeResult } from '../../lib/tcp.ts'
import { greet, isServer } from './server.ts'
import type { Settings } from './settings.ts'

export type State =
  | { kind: 'stopped' }
  | { kind: 'running'; pid: number; version?: string; refusal?: string }
  /** the server's process runs but does not greet: starting, shutting down, or hung */
  | { kind: 'silent'; pid: number; why: string }
  /** files of a server that is gone */
  | { kind: 'stale'; why: string }
  /** something answers on the socket, but the pid file does not say what */
  | { kind: 'unknown'; why: string }

/**
 * The server's pid when the pid file names a live server; why not, when it names one that is gone. The
 * server's user writes the pid file: with `uid` (start and stop, which act on the pid), a process of
 * anyone else's is not the server, whatever the file says.
 */
export function serverProcess(s: Settings, binary: string, uid?: number): { pid?: number; gone?: string } {
  return pidFileProcess(s.pid, { uid, argv: (argv) => isServer(argv, s.datadir, binary) })
}

/** Without a pid file: a socket that still answers is a server the agent cannot identify. */
export async function orphanState(s: Settings, timeoutMs: number): Promise<State> {
  if (!existsSync(s.socket)) return { kind: 'stopped' }
  const g = await greet(s.socket, timeoutMs)
  return g.connect.status === 'ok'
    ? { kind: 'unknown', why: `a server answers on ${s.socket}, but the pid file ${s.pid} is missing` }
    : { kind: 'stale', why: `${s.socket} is left over from a server that did not stop cleanly (no pid file, nothing answers)` }
}

export async function serverState(s: Settings, binary: string, timeoutMs: number, uid?: number): Promise<State> {
  const { pid, gone } = serverProcess(s, binary, uid)
  if (gone) return { kind: 'stale', why: gone }
  if (pid === undefined) return orphanState(s, timeoutMs)
  const g = await greet(s.socket, timeoutMs)
  if (g.connect.status !== 'ok') return { kind: 'silent', pid, why: `the server (pid ${pid}) does not greet on ${describeResult(g.connect)}` }
  return { kind: 'running', pid, version: g.version, refusal: g.refusal }
}

/** Removes the pid file and socket a dead server left (never while a server answers there). */
export function clearLeftovers(s: Settings): void {
  rmSync(s.pid, { force: true })
  rmSync(s.socket, { force: true })
}
