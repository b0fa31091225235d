/**
 * Sequence numbers, as Heartbeat keeps them. Every message but `NS_` ones carries `seq`, counted per
 * sender from 1 within a generation. A receiver drops a seq it already has (the same message on a second
 * medium), asks for the ones it skipped (`NS_rexmit`, after a random 50–250 ms so the two sides of a
 * burst do not ask at once), and acknowledges every tenth (`NS_ackmsg`), which a Heartbeat peer's flow
 * control waits for. A sender keeps its last 500 messages, as sent, to answer retransmission requests.
 */

/** How many sent messages are kept for retransmission, as Heartbeat (MAXMSGHIST). */
export const HISTORY = 500
/** Heartbeat acknowledges one message in ACK_MSG_DIV. */
const ACK_DIV = 10

/**
 * What this node sent lately, by seq, so a peer's retransmission request is answered byte for byte; and
 * when, since a peer that names one of our seqs (an ack, a request) was alive after we sent it.
 */
export class Outbox {
  private seq = 0
  private readonly sent = new Map<number, { bytes: Buffer; at: number }>()

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

  /** performance.now() when `seq` was sent, while it is in the history. */
  sentAt(seq: number): number | undefined {
    return this.sent.get(seq)?.at
  }
}

export type SeqVerdict = 'new' | 'duplicate'

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

  constructor(private readonly onGap: (gap: GapRequest) => void) {}

  /** Records `seq` of generation `hg`; a higher generation (the peer restarted) starts afresh. */
  arrived(hg: number, seq: number): SeqVerdict {
    if (hg !== this.generation) this.reset(hg)
    if (seq <= this.highest) {
      if (!this.missing.delete(seq)) return 'duplicate'
      return 'new'
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
    }, 50 + Math.random() * 200)
    this.timer.unref()
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}
