/**
 * The event history: every transition the engine goes through (a node dead or back, a takeover with its
 * timeline, a standby and who asked for it, a failed start or stop, a fence, a healed partition), one JSON
 * object a line in /var/lib/halo/history.jsonl, so `halo history`, `halo status` and the metrics read what
 * happened after the engine (or the node) restarted.
 *
 * Rotation: once the file would pass 1 MiB it becomes history.jsonl.1 (the older ones shift up to .4, the
 * oldest dropped), so at most 5 files, about 5 MiB. A line is written by one write() on an O_APPEND fd; a
 * crash may still leave the last line torn: the reader skips a line that is not a whole event, and the
 * writer starts on a fresh line. No fsync per line: losing the last seconds of history in a power cut of
 * this node is acceptable, a torn file is not.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, readSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { errorMessage } from '../lib/errors.ts'
import { createExclusive, openNoFollow } from '../lib/files.ts'

const { O_WRONLY, O_APPEND, O_RDONLY } = constants

const HISTORY_FILE = 'history.jsonl'
const HISTORY_MAX_BYTES = 1024 * 1024
const HISTORY_KEEP = 5

/** Where halo keeps its own state: /var/lib/halo, HALO_VARLIB in tests (as HA_VARLIB for heartbeat's). */
const haloVarLib = (env: NodeJS.ProcessEnv = process.env): string => env.HALO_VARLIB ?? '/var/lib/halo'
export const historyPath = (env: NodeJS.ProcessEnv = process.env): string => join(haloVarLib(env), HISTORY_FILE)

export type HistoryKind =
  | 'engine-start'
  | 'engine-stop'
  | 'node-dead'
  | 'node-up'
  | 'partition-healed'
  | 'fence'
  /** this node took groups over from its peer: a failover (after a death, a shutdown or the peer's standby) */
  | 'takeover'
  /** this node started without its peer (never heard from) and took its groups too: not a failover */
  | 'start-alone'
  /** this node asked to give groups to its peer */
  | 'standby'
  | 'start-failed'
  | 'stop-failed'
  /** local recovery: part of a group restarted in place (after a failure, or asked by the admin), with its timeline */
  | 'restart'
  /** local recovery: the failures counted were forgotten (halo cleanup) */
  | 'cleanup'

/** One step of a takeover's timeline: `ms` since its first step (the detection). */
export interface TimelineStep {
  at: string
  ms: number
  what: string
}

export interface HistoryEvent {
  /** ISO time */
  at: string
  kind: HistoryKind
  /** the node that recorded it */
  node: string
  /** what happened, in the admin's words */
  text: string
  /** the other node concerned (the dead one, the one taken over from, the fenced one) */
  peer?: string
  /** standby, takeover: which groups (all, local, foreign, as hb_standby says) */
  set?: string
  /** standby: who asked (hb_standby, a script through it, auto_failback, ipfail, a failed start) */
  origin?: string
  /** takeover: why (the peer was declared dead, shut down, went standby) */
  cause?: string
  /** fence: confirmed; takeover: every group started */
  ok?: boolean
  /** takeover: detection → last resource started; fence: how long the device took; node-dead: how long it was silent */
  ms?: number
  /** takeover: detection, fence, each resource started, done */
  timeline?: TimelineStep[]
  /** start-failed, stop-failed, restart, cleanup: the haresources resource */
  resource?: string
}

export interface JournalOptions {
  maxBytes?: number
  keep?: number
  /** told when the journal cannot be written (the engine goes on without it) */
  warn?: (why: string) => void
}

/** The writer: appends events, rotates at maxBytes keeping `keep` files. */
export class Journal {
  private fd?: number
  private size = 0
  private broken = false
  private readonly maxBytes: number
  private readonly keep: number

  constructor(
    readonly path: string,
    private readonly opts: JournalOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? HISTORY_MAX_BYTES
    // the file being written and at least one before it
    this.keep = Math.max(2, opts.keep ?? HISTORY_KEEP)
  }

  /** Appends one event; a journal that cannot be written is said once, and never stops the engine. */
  record(e: HistoryEvent): void {
    const line = Buffer.from(`${JSON.stringify(e)}\n`)
    try {
      if (this.fd === undefined) this.open()
      if (this.size > 0 && this.size + line.length > this.maxBytes) this.rotate()
      this.size += writeSync(this.fd!, line)
      this.broken = false
    } catch (err) {
      this.closeFd()
      if (!this.broken) this.opts.warn?.(`event history ${this.path}: ${errorMessage(err)}; events are not recorded until it can be written`)
      this.broken = true
    }
  }

  private open(): void {
    const dir = join(this.path, '..')
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    if (lstatSync(dir).isSymbolicLink()) throw new Error(`${dir} is a symbolic link: halo does not write through links`)
    let fd: number
    try {
      fd = createExclusive(this.path, 0o644, O_WRONLY | O_APPEND)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      fd = openNoFollow(this.path, O_WRONLY | O_APPEND)
    }
    const st = fstatSync(fd)
    const wrong = !st.isFile() ? 'is not a plain file' : st.uid !== process.getuid?.() ? `belongs to uid ${st.uid}` : st.nlink !== 1 ? 'has other names (hard links)' : ''
    if (wrong) {
      closeSync(fd)
      throw new Error(`${wrong}: remove it`)
    }
    this.fd = fd
    this.size = st.size
    // a line torn by a crash: the next event starts on a line of its own
    if (st.size > 0 && lastByte(this.path) !== 0x0a) this.size += writeSync(fd, '\n')
  }

  private rotate(): void {
    this.closeFd()
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = i === 1 ? this.path : `${this.path}.${i - 1}`
      try {
        renameSync(from, `${this.path}.${i}`)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
    }
    this.open()
  }

  private closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  close(): void {
    this.closeFd()
  }
}

function lastByte(path: string): number {
  const fd = openNoFollow(path, O_RDONLY)
  try {
    const st = fstatSync(fd)
    const b = Buffer.alloc(1)
    readSync(fd, b, 0, 1, st.size - 1)
    return b[0]
  } finally {
    closeSync(fd)
  }
}

function readText(path: string): string {
  let fd: number
  try {
    fd = openNoFollow(path, O_RDONLY)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw e
  }
  try {
    const size = fstatSync(fd).size
    const buf = Buffer.alloc(size)
    let got = 0
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got)
      if (n === 0) break
      got += n
    }
    return buf.subarray(0, got).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

const isEvent = (v: unknown): v is HistoryEvent => {
  const e = v as Partial<HistoryEvent> | null
  return typeof e === 'object' && e !== null && typeof e.at === 'string' && !Number.isNaN(Date.parse(e.at)) && typeof e.kind === 'string' && typeof e.node === 'string' && typeof e.text === 'string'
}

/**
 * The events of the journal at `path` and its rotated files, oldest first; with `since`, those at or after
 * it. A line that is not a whole event (torn by a crash) is skipped. No journal: no events.
 */
export function readHistory(path: string = historyPath(), opts: { since?: Date | number; keep?: number } = {}): HistoryEvent[] {
  const since = opts.since === undefined ? -Infinity : Number(opts.since)
  const keep = opts.keep ?? HISTORY_KEEP
  const files = [...Array.from({ length: keep - 1 }, (_, i) => `${path}.${keep - 1 - i}`), path]
  const events: HistoryEvent[] = []
  for (const f of files) {
    for (const line of readText(f).split('\n')) {
      if (!line) continue
      let v: unknown
      try {
        v = JSON.parse(line)
      } catch {
        continue
      }
      if (isEvent(v) && Date.parse(v.at) >= since) events.push(v)
    }
  }
  return events
}

/** The last failover this node saw (its last takeover), if any. */
export function lastFailover(events: readonly HistoryEvent[]): HistoryEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].kind === 'takeover') return events[i]
  return undefined
}
