/**
 * What the metrics and the status page count of the engine's life: deaths of the peer, failovers (from the
 * moment the peer was declared dead to the moment its groups ran here), fences, false deaths. Counters live
 * as long as the engine; the failover records are kept in a small ring until the event history
 * (ha.d/history.ts) holds them: `lastFailovers` is the one place that reads them, switch it there.
 */

/** A failover as the page shows it: when, from whom, why, how long. */
export interface FailoverRecord {
  peer: string
  /** ISO time the peer was declared dead */
  deadAt: string
  /** ISO time its groups were all started here */
  doneAt: string
  durationMs: number
  /** what declared it dead: its deadtime passed, or it said shutdone */
  why: string
  groups: string[]
}

/** the failovers kept for the page */
const KEPT = 10
/** histogram buckets (seconds) for the time from the peer's death to its groups started here */
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
  /** the death a takeover may follow: performance.now() and the wall clock of its moment */
  private death?: { peer: string; at: number; wall: Date; why: string }

  peerDead(peer: string, why: string): void {
    this.deaths++
    this.death = { peer, at: performance.now(), wall: new Date(), why }
  }

  /** the peer is back: no failover follows that death any more */
  peerBack(): void {
    this.death = undefined
  }

  /** a peer declared dead came back with the same generation: it never stopped */
  falseDeath(): void {
    this.falseDeaths++
  }

  fenced(ok: boolean): void {
    if (ok) this.fences.ok++
    else this.fences.failed++
  }

  /** The groups of the dead peer run here now: that closes the failover its death opened. */
  tookOver(groups: string[]): void {
    const d = this.death
    if (!d) return
    this.death = undefined
    const durationMs = Math.round(performance.now() - d.at)
    const seconds = durationMs / 1000
    this.failovers++
    this.failoverSeconds += seconds
    FAILOVER_BUCKETS.forEach((le, i) => seconds <= le && this.buckets[i]++)
    this.ring.push({ peer: d.peer, deadAt: d.wall.toISOString(), doneAt: new Date().toISOString(), durationMs, why: d.why, groups })
    if (this.ring.length > KEPT) this.ring.shift()
  }

  /** The last failovers, newest first. At merge: read them from the event history instead. */
  lastFailovers(): FailoverRecord[] {
    return [...this.ring].reverse()
  }
}
