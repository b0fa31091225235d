/**
 * The wire side of the engine: Heartbeat 3.0.6's messages on the ha.cf media, in and out.
 *
 *   out: fields → common fields (src, seq, hg, ts, ld, ttl) → netstring form signed with authkeys' key →
 *        kept in the outbox (for retransmission) → every medium
 *   in:  datagram from a medium's peer → decode → verify → from our peer? not a replay? → proof of life →
 *        sequence (duplicates dropped, gaps asked for, acks) → addressed to us? → the engine;
 *        retransmission requests are answered here, each message at most once per max_rexmit_delay
 *
 * Replays. Heartbeat drops a lower generation, and a seq it had; after a death it forgets the seqs and
 * keeps only the seq of the last status, so a recorded status it never received (sent just before the
 * peer died, or while the link was cut) passes for a node back from a partition. halo keeps every seq
 * it had across a death, and a message of the same generation that would raise a dead peer must also be
 * stamped (ts) with the peer's time as we follow it (PeerClock): a copy held back for seconds is stale.
 * NS_ messages have no seq: the same datagram twice, or one stamped in the past, is a copy.
 * A duplicate or a copy refreshes the link it came on only when it is fresh (the same message on a
 * second medium); otherwise it changes nothing.
 *
 * Any authentic datagram of the peer's proves it alive, as of a moment a replay cannot move: a seq never
 * heard before (new, or a retransmission: Heartbeat also counts a retransmitted status), now; an ack or a
 * retransmission request, when we sent the seq it names (the peer had it, so it lived after that). A
 * duplicate proves the link only, since anyone can send a copy. And a peer gone quiet for two keepalives is
 * asked for the messages it must have sent since (NS_rexmit, which Heartbeat answers too): on a lossy
 * link its answers keep it alive where the statuses alone would miss the deadtime; a dead one answers
 * nothing, so its death is declared no later.
 *
 * A packet that is malformed, not authentic, from a stranger or a replay is counted and dropped with a
 * debug line: nothing a peer sends can stop the engine.
 */
import type { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { errorMessage } from '../lib/errors.ts'
import type { Logger } from '../lib/log.ts'
import type { AuthKeys } from './config/authkeys.ts'
import type { Medium } from './config/hacf-media.ts'
import { Media, type Arrival } from './media.ts'
import { FRESH_S, MAX_REXMIT_DELAY, Outbox, PeerClock, SeqTrack } from './sequence.ts'
import { verify } from './wire/auth.ts'
import { decode, encode } from './wire/codec.ts'
import { type Sender, compose } from './wire/compose.ts'
import { Message } from './wire/message.ts'

/** Bad packets by reason, for the log and for `cl_status`-side checks. */
export interface Counters {
  malformed: number
  unauthentic: number
  strangers: number
  replays: number
  duplicates: number
  /** from an address no medium has (not the ucast peer, not on a bcast/mcast interface's network) */
  offMedia: number
}

/** A message from the peer, for this node, in order. */
export interface Heard {
  msg: Message
  src: string
  type: string
  /** the sender's generation */
  hg: number
  /** the medium it came on */
  link: string
}

export interface ExchangeOptions {
  self: string
  peer: string
  sender: Sender
  log: Logger
  /** the keys in force (halo-heartbeat -r may change them) */
  auth(): AuthKeys
  /** the peer's generation as membership knows it: a lower one is a replay */
  knownGeneration(src: string): number
  /** a new message for us */
  deliver(h: Heard): void
  /**
   * A datagram of the peer's came on `link`. `at` (performance.now() time) is when it proves the peer
   * alive; undefined when it proves the link only (a duplicate). Says whether membership counts the peer
   * alive: only then is it asked when it goes quiet.
   */
  alive(src: string, link: string, at?: number): boolean
  /** ms between our statuses, which the peer sends as often: how soon a quiet peer is asked */
  keepalive: number
  /** ha.cf's max_rexmit_delay (ms): the longest wait before asking for a gap, the least between two resends */
  rexmitDelay?: number
}

/** A quiet peer is asked for at most this many of the messages it owes us at a time. */
const ASK_AT_MOST = 3
/** Heartbeat resends at most this many messages for one request (MAX_REXMIT_BATCH). */
const RESEND_AT_MOST = 50
/** NS_ datagrams remembered, to know a second copy: as long as a copy is fresh, and at most this many */
const NS_REMEMBERED = 1000

/** What the exchange uses of the media (media.ts): its unit tests give a fake, without sockets or nft. */
export type MediaPort = Pick<EventEmitter<{ arrival: [Arrival]; stray: [string]; error: [Error] }>, 'on'> & Pick<Media, 'send' | 'links' | 'close' | 'unguarded'>

export class Exchange {
  readonly counters: Counters = { malformed: 0, unauthentic: 0, strangers: 0, replays: 0, duplicates: 0, offMedia: 0 }
  private readonly outbox: Outbox
  private readonly clock = new PeerClock()
  /** the NS_ datagrams of the last seconds, by their bytes: when each came */
  private readonly nsSeen = new Map<string, number>()
  private readonly tracks = new Map<string, SeqTrack>()
  private readonly peerUuid = new Map<string, Buffer>()
  private lastSend: Promise<void> = Promise.resolve()
  /** performance.now() of the peer's latest proof of life */
  private lastProof = 0
  /** ts (the peer's clock, s) of its newest sequenced message: an unsequenced one much older is a copy */
  private peerTs = 0
  /** the peer's own deadtime (dt of its statuses): how long a quiet peer is worth asking */
  private peerDeadtime = 0
  private quiet?: NodeJS.Timeout

  constructor(
    private readonly media: MediaPort,
    private readonly opts: ExchangeOptions,
  ) {
    this.outbox = new Outbox(opts.rexmitDelay ?? MAX_REXMIT_DELAY)
    media.on('arrival', (a) => this.arrive(a))
    media.on('stray', (from) => this.drop('offMedia', `${from}: not the address of any medium's peer or network`))
    media.on('error', (e) => opts.log.err(`heartbeat medium: ${e.message}`))
    if (media.unguarded) {
      opts.log.err(`heartbeat media: cannot make the kernel refuse heartbeat packets that come through other interfaces (${media.unguarded}); install nftables. Meanwhile only their source address is checked, which a forged one passes`)
    }
  }

  static async open(media: readonly Medium[], opts: ExchangeOptions): Promise<Exchange> {
    return new Exchange(await Media.open(media), opts)
  }

  links(): string[] {
    return this.media.links()
  }

  /** Sends a message of ours; all but NS_ types are sequenced and kept for retransmission. */
  send(own: Message): void {
    const type = own.get('t') ?? ''
    const sequenced = !type.startsWith('NS_')
    const dest = own.get('dest')
    const seq = sequenced ? this.outbox.next() : undefined
    const msg = compose(own, this.opts.sender, {
      ts: Math.floor(Date.now() / 1000),
      seq,
      ld: sequenced ? loadavg() : undefined,
      destuuid: dest ? this.peerUuid.get(dest) : undefined,
    })
    const bytes = encode(msg, this.opts.auth().use)
    if (seq !== undefined) this.outbox.keep(seq, bytes)
    this.lastSend = this.media.send(bytes)
  }

  /** Resolves once the last message sent has left the sockets. */
  flushed(): Promise<void> {
    return this.lastSend
  }

  /** The peer died or restarted: what we expected of its old life is void. */
  forget(peer: string): void {
    this.tracks.get(peer)?.lose()
    clearTimeout(this.quiet)
  }

  /** Closes the media; resolves once their kernel guard is removed. */
  close(): Promise<void> {
    for (const t of this.tracks.values()) t.stop()
    clearTimeout(this.quiet)
    return this.media.close()
  }

  private arrive(a: Arrival): void {
    const decoded = decode(a.data)
    if (decoded instanceof Error) return this.drop('malformed', `${a.from}: ${decoded.message}`)
    const bad = verify(decoded, this.opts.auth())
    if (bad) return this.drop('unauthentic', `${a.from}: ${bad.message}`)
    try {
      this.sort(decoded.message, a)
    } catch (e) {
      // a field of the wrong shape (a binary seq, a non-hex hg) is the peer's fault, not a crash
      this.drop('malformed', `${a.from}: ${errorMessage(e)}`)
    }
  }

  private drop(why: keyof Counters, detail: string): void {
    this.counters[why]++
    this.opts.log.debug(`dropped a packet (${why}): ${detail}`)
  }

  private sort(msg: Message, a: Arrival): void {
    const src = msg.get('src')
    const type = msg.get('t')
    if (src === this.opts.self) return
    if (!src || !type || src !== this.opts.peer) return this.drop('strangers', `${a.from}: src=${src} t=${type}`)
    const hg = msg.num('hg') ?? 0
    const known = this.opts.knownGeneration(src)
    if (hg < known) return this.drop('replays', `${src}: generation ${hg} < ${known}`)
    const uuid = msg.bytes('srcuuid')
    if (uuid) this.peerUuid.set(src, uuid)
    const heard: Heard = { msg, src, type, hg, link: a.link }
    const seq = msg.num('seq')
    const ts = msg.num('ts')
    if (seq === undefined && this.seenNs(a.data)) return this.copy(src, a.link, ts, `t=${type}, the same datagram again`)
    if (seq === undefined && this.clock.staleBy(ts)) return this.drop('replays', `${src} t=${type}: stamped ${this.clock.staleBy(ts)} s behind its clock`)
    if (seq !== undefined) {
      const track = this.track(src)
      const { generation, lost } = track.state
      const behind = lost && hg === generation ? this.clock.staleBy(ts) : 0
      if (behind) return this.drop('replays', `${src} seq ${seq} t=${type}: stamped ${behind} s behind its clock, since it was declared dead`)
      const verdict = track.arrived(hg, seq)
      if (verdict === 'duplicate') return this.copy(src, a.link, ts, `seq ${seq} t=${type}`)
      if (verdict === 'new') this.clock.heard(ts)
      if (type === 'status') this.peerDeadtime = msg.num('dt') ?? this.peerDeadtime
      this.peerTs = Math.max(this.peerTs, ts ?? 0)
      this.provenAlive(src, a.link, performance.now())
      if (track.shouldAck(seq)) this.send(new Message().add('t', 'NS_ackmsg').add('dest', src).addNum('ackseq', seq))
    }
    const dest = msg.get('dest')
    if (dest !== undefined && dest !== this.opts.self) return
    this.opts.log.debug(`got t=${type} from ${src}${seq !== undefined ? ` seq ${seq}` : ''}`)
    if (seq === undefined) this.provenAlive(src, a.link, this.namedSeqSent(msg))
    if (type === 'NS_rexmit') return this.retransmit(src, msg)
    if (type === 'NS_nak_rexmit') return this.track(src).forget(msg.num('firstseq') ?? 0, msg.num('lastseq') ?? msg.num('firstseq') ?? 0)
    this.opts.deliver(heard)
  }

  /**
   * When we sent the seq of ours that an unsequenced message names: an ack names one the peer had; a
   * retransmission request one after the last it had (that one is at firstseq - 1, whether it asks for a
   * gap or, quiet itself, for what we owe it). Our seqs start again at 1 when we restart, so a message
   * stamped (ts) before the peer's newest sequenced one, beyond a second's rounding, may name a seq of
   * our previous life: it proves nothing.
   */
  private namedSeqSent(msg: Message): number | undefined {
    const type = msg.get('t')
    if ((msg.num('ts') ?? 0) < this.peerTs - 1) return undefined
    if (type === 'NS_ackmsg') return this.outbox.sentAt(msg.num('ackseq') ?? 0)
    if (type === 'NS_rexmit') return this.outbox.sentAt((msg.num('firstseq') ?? 0) - 1)
    return undefined
  }

  /** A copy of a message we had: it shows the link up when it is fresh (the second medium's copy), no more. */
  private copy(src: string, link: string, ts: number | undefined, what: string): void {
    if (!this.clock.staleBy(ts)) this.opts.alive(src, link)
    this.drop('duplicates', `${src} ${what}`)
  }

  /** Whether this NS_ datagram came already, lately; remembers it. */
  private seenNs(data: Buffer): boolean {
    const now = performance.now()
    for (const [key, at] of this.nsSeen) {
      if (now - at <= (FRESH_S + 1) * 1000 && this.nsSeen.size < NS_REMEMBERED) break
      this.nsSeen.delete(key)
    }
    const key = data.toString('latin1')
    if (this.nsSeen.has(key)) return true
    this.nsSeen.set(key, now)
    return false
  }

  private provenAlive(src: string, link: string, at: number | undefined): void {
    if (!this.opts.alive(src, link, at) || at === undefined || at <= this.lastProof) return
    this.lastProof = at
    clearTimeout(this.quiet)
    this.quiet = setTimeout(() => this.askQuietPeer(), at + 2 * this.opts.keepalive - performance.now())
  }

  /**
   * The peer has missed two keepalives: ask it for the messages after the last we had, as many as it must
   * have sent since (one less than the keepalives passed, so never one it has not sent yet), and again
   * every quarter keepalive until it answers or its deadtime is over; more seldom (a sixteenth of the
   * silence) when a peer that announced a long deadtime (starting, or Heartbeat restarting) stays quiet.
   */
  private askQuietPeer(): void {
    const silent = performance.now() - this.lastProof
    const last = this.tracks.get(this.opts.peer)?.last ?? 0
    if (last === 0 || silent >= this.peerDeadtime) return
    const owed = Math.min(ASK_AT_MOST, Math.max(1, Math.floor(silent / this.opts.keepalive) - 1))
    this.send(new Message().add('t', 'NS_rexmit').add('dest', this.opts.peer).addNum('firstseq', last + 1).addNum('lastseq', last + owed))
    this.quiet = setTimeout(() => this.askQuietPeer(), Math.max(this.opts.keepalive / 4, silent / 16))
  }

  private track(peer: string): SeqTrack {
    let t = this.tracks.get(peer)
    if (!t) {
      const ask = (gap: { first: number; last: number }) => this.send(new Message().add('t', 'NS_rexmit').add('dest', peer).addNum('firstseq', gap.first).addNum('lastseq', gap.last))
      t = new SeqTrack(ask, this.opts.rexmitDelay)
      this.tracks.set(peer, t)
    }
    return t
  }

  /**
   * Resends what a peer missed, byte for byte; what is no longer kept gets a nak. As Heartbeat: at most
   * RESEND_AT_MOST datagrams for one request, none of a message resent in the last max_rexmit_delay.
   */
  private retransmit(peer: string, msg: Message): void {
    const first = msg.num('firstseq') ?? 0
    const last = Math.min(msg.num('lastseq') ?? first, first + 500)
    let sent = 0
    for (let s = first; s <= last && sent < RESEND_AT_MOST; s++) {
      const bytes = this.outbox.resend(s)
      if (bytes === 'recent') continue
      sent++
      if (bytes) void this.media.send(bytes)
      else this.send(new Message().add('t', 'NS_nak_rexmit').add('dest', peer).addNum('firstseq', s))
    }
  }
}

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim()
  } catch {
    return '0.00 0.00 0.00 1/1 1'
  }
}
