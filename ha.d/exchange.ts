/**
 * The wire side of the engine: Heartbeat 3.0.6's messages on the ha.cf media, in and out.
 *
 *   out: fields → common fields (src, seq, hg, ts, ld, ttl) → netstring form signed with authkeys' key →
 *        kept in the outbox (for retransmission) → every medium
 *   in:  datagram → decode → verify → from our peer? not a replay? → sequence (duplicates dropped, gaps
 *        asked for, acks) → addressed to us? → the engine; retransmission requests are answered here
 *
 * A packet that is malformed, not authentic, from a stranger or a replay is counted and dropped with a
 * debug line: nothing a peer sends can stop the engine.
 */
import { readFileSync } from 'node:fs'
import { errorMessage } from '../lib/errors.ts'
import type { Logger } from '../lib/log.ts'
import { Media, type Arrival, type Medium } from './media.ts'
import { Outbox, SeqTrack } from './sequence.ts'
import { type AuthKeys, verify } from './wire/auth.ts'
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
  /** a status we already had, on another medium: it still proves that link alive */
  linkAlive(h: Heard): void
}

export class Exchange {
  readonly counters: Counters = { malformed: 0, unauthentic: 0, strangers: 0, replays: 0, duplicates: 0 }
  private readonly outbox = new Outbox()
  private readonly tracks = new Map<string, SeqTrack>()
  private readonly peerUuid = new Map<string, Buffer>()
  private lastSend: Promise<void> = Promise.resolve()

  private constructor(
    private readonly media: Media,
    private readonly opts: ExchangeOptions,
  ) {
    media.on('arrival', (a) => this.arrive(a))
    media.on('error', (e) => opts.log.err(`heartbeat medium: ${e.message}`))
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
    this.tracks.get(peer)?.stop()
    this.tracks.delete(peer)
  }

  close(): void {
    for (const t of this.tracks.values()) t.stop()
    this.media.close()
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
    if (seq !== undefined) {
      const track = this.track(src)
      if (track.arrived(hg, seq) === 'duplicate') {
        if (type === 'status' && seq === track.last) this.opts.linkAlive(heard)
        return this.drop('duplicates', `${src} seq ${seq} t=${type}`)
      }
      if (track.shouldAck(seq)) this.send(new Message().add('t', 'NS_ackmsg').add('dest', src).addNum('ackseq', seq))
    }
    const dest = msg.get('dest')
    if (dest !== undefined && dest !== this.opts.self) return
    this.opts.log.debug(`got t=${type} from ${src}${seq !== undefined ? ` seq ${seq}` : ''}`)
    if (type === 'NS_rexmit') return this.retransmit(src, msg)
    if (type === 'NS_nak_rexmit') return this.track(src).forget(msg.num('firstseq') ?? 0, msg.num('lastseq') ?? msg.num('firstseq') ?? 0)
    this.opts.deliver(heard)
  }

  private track(peer: string): SeqTrack {
    let t = this.tracks.get(peer)
    if (!t) {
      t = new SeqTrack((gap) => this.send(new Message().add('t', 'NS_rexmit').add('dest', peer).addNum('firstseq', gap.first).addNum('lastseq', gap.last)))
      this.tracks.set(peer, t)
    }
    return t
  }

  /** Resends what a peer missed, byte for byte; what is no longer kept gets a nak. */
  private retransmit(peer: string, msg: Message): void {
    const first = msg.num('firstseq') ?? 0
    const last = Math.min(msg.num('lastseq') ?? first, first + 500)
    for (let s = first; s <= last; s++) {
      const bytes = this.outbox.get(s)
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
