/**
 * What the metrics and the status page count of the engine's life, read from the events the engine records
 * in its history (recorder.ts): the peer declared dead, false deaths (a partition healed), fences, and
 * failovers with their durations (the takeover's timeline: from the peer's last heartbeat, or its shutdown
 * or standby, to everything running here). Counters live as long as the engine; the last failovers are kept
 * for the page.
 */
import type { HistoryEvent } from '../history.ts'

/** A failover as the page shows it: when, from whom, why, how long. */
export interface FailoverRecord {
  peer: string
  /** ISO time of its first step (the peer's last heartbeat, its shutdown or standby) */
  since: string
  /** ISO time everything ran here */
  doneAt: string
  durationMs: number
  /** why: the peer declared dead, shut down, went standby */
  why: string
  /** which groups were taken: all, local, foreign (as hb_standby says) */
  set: string
}

/** the failovers kept for the page */
const KEPT = 10
/** histogram buckets (seconds) for a failover's duration */
export const FAILOVER_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300] as const

export class Tally {
  deaths = 0
  falseDeaths = 0
  fences = { ok: 0, failed: 0 }
  failovers = 0
  failoverSeconds = 0
  /** cumulative counts per FAILOVER_BUCKETS entry (Prometheus' le) */
  readonly buckets: number[] = FAILOVER_BUCKETS.map(() => 0)
  private readonly ring: FailoverRecord[] = []

  /** One event the engine recorded. */
  seen(e: HistoryEvent): void {
    switch (e.kind) {
      case 'node-dead':
        // declared dead after its deadtime (a shutdone, a restart or a peer never heard are not deaths)
        if (e.ms !== undefined) this.deaths++
        return
      case 'partition-healed':
        this.falseDeaths++
        return
      case 'fence':
        if (e.ok) this.fences.ok++
        else this.fences.failed++
        return
      case 'takeover':
        return this.tookOver(e)
    }
  }

  private tookOver(e: HistoryEvent): void {
    const durationMs = e.ms ?? 0
    const seconds = durationMs / 1000
    this.failovers++
    this.failoverSeconds += seconds
    FAILOVER_BUCKETS.forEach((le, i) => seconds <= le && this.buckets[i]++)
    this.ring.push({ peer: e.peer ?? '', since: e.timeline?.[0]?.at ?? e.at, doneAt: e.at, durationMs, why: e.cause ?? e.text, set: e.set ?? '' })
    if (this.ring.length > KEPT) this.ring.shift()
  }

  /** The last failovers, newest first. */
  lastFailovers(): FailoverRecord[] {
    return [...this.ring].reverse()
  }
}
