/**
 * Sequence numbers, as Heartbeat keeps them. Every message but `NS_` ones carries `seq`, counted per
 * sender from 1 within a generation. A receiver drops a seq it already has (the same message on a second
 * medium), asks for the ones it skipped (`NS_rexmit`, after a random 50 ms to max_rexmit_delay (ha.cf,
 * 250 ms by default) so the two sides of a burst do not ask at once), and acknowledges every tenth
 * (`NS_ackmsg`), which a Heartbeat peer's flow control waits for. A sender keeps its last 500 messages,
 * as sent, to answer retransmission requests, and resends one at most once per max_rexmit_delay.
 */

/** How many sent messages are kept for retransmission, as Heartbeat (MAXMSGHIST). */
export const HISTORY = 500
/** Heartbeat acknowledges one message in ACK_MSG_DIV. */
const ACK_DIV = 10
/** ha.cf's max_rexmit_delay when not written (ms) */
export const MAX_REXMIT_DELAY = 250

/**
 * What this node sent lately, by seq, so a peer's retransmission request is answered byte for byte; and
 * when, since a peer that names one of our seqs (an ack, a request) was alive after we sent it.
 */
export class Outbox {
  private seq = 0
  private readonly sent = new Map<number, { bytes: Buffer; at: number; resent?: number }>()

  /** `rexmitDelay`: a message is resent at most once in this many ms (max_rexmit_delay) */
  constructor(private readonly rexmitDelay = MAX_REXMIT_DELAY) {}

  next(): number {
    return ++this.seq
  }

  keep(seq: number, bytes: Buffer): void {
    this.sent.set(seq, { bytes, at: performance.now() })
    this.sent.delete(seq - HISTORY)
  }

  /** The message sent as `seq`, or undefined when it is older than the history (answer with a nak). */
  get(seq: number): Buffer | undefined {
    return this.sent.get(seq)?.bytes
  }

  /**
   * The message to resend as `seq` now: 'recent' when it was resent less than max_rexmit_delay ago (as
   * Heartbeat, 10 ms of slack), so a flood of requests, or one request replayed, costs one copy each.
   */
  resend(seq: number): Buffer | 'recent' | undefined {
    const kept = this.sent.get(seq)
    if (!kept) return undefined
    const now = performance.now()
    if (kept.resent !== undefined && now - kept.resent < this.rexmitDelay - 10) return 'recent'
    kept.resent = now
    return kept.bytes
  }

  /** performance.now() when `seq` was sent, while it is in the history. */
  sentAt(seq: number): number | undefined {
    return this.sent.get(seq)?.at
  }
}

/** new: after every seq heard so far; late: one we were missing (a retransmission); duplicate: had it */
export type SeqVerdict = 'new' | 'late' | 'duplicate'

export interface GapRequest {
  first: number
  last: number
}

/** One peer's incoming sequence: what arrived, what is missing, when to acknowledge. */
export class SeqTrack {
  private generation = 0
  private highest = 0
  private readonly missing = new Set<number>()
  private ackTrigger = -1
  private timer?: NodeJS.Timeout
  /** the peer was declared dead: what it sent meanwhile is not owed to us, but what we had stays had */
  private lost = false

  constructor(
    private readonly onGap: (gap: GapRequest) => void,
    private readonly rexmitDelay = MAX_REXMIT_DELAY,
  ) {}

  /** Records `seq` of generation `hg`; a higher generation (the peer restarted) starts afresh. */
  arrived(hg: number, seq: number): SeqVerdict {
    if (hg !== this.generation) this.reset(hg)
    if (seq <= this.highest) {
      if (!this.missing.delete(seq)) return 'duplicate'
      return 'late'
    }
    // the first message heard may be any seq (we joined late, or it came back): nothing before it is owed to us
    if (this.highest > 0 && !this.lost) {
      for (let s = Math.max(this.highest + 1, seq - HISTORY); s < seq; s++) this.missing.add(s)
    }
    if (this.ackTrigger < 0) this.ackTrigger = seq % ACK_DIV
    this.highest = seq
    this.lost = false
    if (this.missing.size > 0) this.scheduleRequest()
    return 'new'
  }

  /** Whether this seq is one Heartbeat would acknowledge: every tenth, while nothing before it is missing. */
  shouldAck(seq: number): boolean {
    const firstMissing = Math.min(Infinity, ...this.missing)
    return seq % ACK_DIV === this.ackTrigger && !(seq > firstMissing)
  }

  /** The sender no longer has these (NS_nak_rexmit): stop asking. */
  forget(first: number, last: number): void {
    for (let s = first; s <= last; s++) this.missing.delete(s)
  }

  /** The last seq heard, for the duplicate-refresh rule. */
  get last(): number {
    return this.highest
  }

  /** The generation tracked, and whether the peer was lost since its last new message (see lose). */
  get state(): { generation: number; lost: boolean } {
    return { generation: this.generation, lost: this.lost }
  }

  /**
   * The peer was declared dead (or restarted): stop asking for what it missed, and take its next message
   * without a gap, as Heartbeat resets its tracking then. The seqs heard stay heard, so a copy of an old
   * message (a replay) is still a duplicate and cannot pass for a node that came back.
   */
  lose(): void {
    this.missing.clear()
    clearTimeout(this.timer)
    this.timer = undefined
    this.lost = true
  }

  private reset(hg: number): void {
    this.lose()
    this.generation = hg
    this.highest = 0
    this.ackTrigger = -1
    this.lost = false
  }

  private scheduleRequest(): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.missing.size === 0) return
      const sorted = [...this.missing].sort((a, b) => a - b)
      // one request per contiguous run, as Heartbeat asks
      let first = sorted[0]
      for (let i = 1; i <= sorted.length; i++) {
        if (i === sorted.length || sorted[i] !== sorted[i - 1] + 1) {
          this.onGap({ first, last: sorted[i - 1] })
          first = sorted[i]
        }
      }
      // still missing after this round: ask again later, bounded by what the sender can still have
      this.scheduleRequest()
    }, this.requestDelay())
    this.timer.unref()
  }

  /** Heartbeat's: random between 50 ms (none when max_rexmit_delay is under 100 ms) and max_rexmit_delay. */
  private requestDelay(): number {
    const least = this.rexmitDelay < 100 ? 0 : 50
    return least + Math.random() * (this.rexmitDelay - least)
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}

/**
 * How far behind the peer's clock, as we follow it, a message may be stamped and still be fresh: `ts` is
 * whole seconds on both sides (up to 1 s each), delivery is milliseconds.
 */
export const FRESH_S = 2
/** Two clocks drift apart; allow 1000 ppm (ten times a poor crystal) for each second followed unheard. */
const DRIFT = 1e-3

/**
 * The peer's clock (its `ts`, time() in hex seconds) as we follow it from its newest message. A copy
 * replayed later carries the time it was sent: behind this clock by as long as it was held back.
 * Heartbeat compares no clocks; halo does so only where sequence numbers cannot tell (see exchange.ts).
 */
export class PeerClock {
  private anchor?: { ts: number; at: number }

  /** A new message of the peer's (not a retransmission, which keeps the time it was first sent). */
  heard(ts: number | undefined, at = performance.now()): void {
    if (ts !== undefined) this.anchor = { ts, at }
  }

  /** How many seconds `ts` is behind the peer's clock, when more than it may be; 0 when fresh or unknown. */
  staleBy(ts: number | undefined, now = performance.now()): number {
    if (!this.anchor) return 0
    const followed = (now - this.anchor.at) / 1000
    const behind = this.anchor.ts + followed - (ts ?? 0)
    return behind > FRESH_S + followed * DRIFT ? Math.round(behind) : 0
  }
}
