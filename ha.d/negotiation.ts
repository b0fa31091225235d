/**
 * Who runs which haresources groups: Heartbeat's v1 "nice failback" negotiation between two nodes, on
 * the wire exactly as Heartbeat 3.0.6 does it, so a halo node and a Heartbeat node agree.
 *
 *   starting → the peer answers `resource` (what it holds, whether it is stable). When the peer is
 *   stable we take our own groups unless it holds them; when both are starting, each takes its own
 *   after 10 s. A dead peer's groups are taken (`resource info=mach_down`); a peer that shut down
 *   cleanly (`shutdone`) is taken over at once. Standby is three phases of `ask_resources`
 *   (me → other → done → done). With auto_failback, the holder of foreign groups gives them back by
 *   going standby for them once their owner is stable again. A peer declared dead that comes back with
 *   the same generation never stopped (a healed partition): each node gives back what it took over.
 *
 * Holdings are two bits seen from the node that speaks: `local` its own groups, `foreign` its peer's.
 * Every start and stop goes through one queue, so no two transitions ever overlap.
 */
import type { Logger } from '../lib/log.ts'

export type Hold = 'none' | 'local' | 'foreign' | 'all'
const LOCAL = 1
const FOREIGN = 2
const ALL = LOCAL | FOREIGN
const WORDS: Hold[] = ['none', 'local', 'foreign', 'all']
const bits = (h: string | undefined): number => Math.max(0, WORDS.indexOf((h ?? 'all') as Hold))
/** The same groups seen from the other node: its local are our foreign. */
const mirror = (b: number): number => ((b & LOCAL) << 1) | ((b & FOREIGN) >> 1)

/** Heartbeat's wait for a peer that is starting too before each takes its own groups (RQSTDELAY). */
export const BOTH_STARTING_MS = 10_000
/** A standby request the peer does not answer within this is cancelled (STANDBY_INIT_TO_MS). */
export const STANDBY_REPLY_MS = 10_000
const FAILBACK_RETRY_MS = 1000
/** who asks for the standby that hands over groups that failed to start, as the event history says */
const FAILED_START = 'the failed start (the peer runs them instead)'

type State = 'init' | 'starting' | 'rscrcvd' | 'stable' | 'healing' | 'shutdown'
type Standby = 'not' | 'me' | 'other' | 'done'

export interface NegotiationIo {
  log: Logger
  /** the other node's name */
  peer: string
  /** sends a sequenced message made of these fields (the common ones are added by the caller) */
  send(fields: [string, string][]): void
  /** starts our own groups (local) or the peer's (foreign); false when one failed to start */
  acquire(side: 'local' | 'foreign'): Promise<boolean>
  /** stops them; at shutdown `everything` stops every haresources line, held or not, as Heartbeat */
  release(side: 'local' | 'foreign' | 'everything'): Promise<void>
  autoFailback: boolean
  /** whether the peer is up, to take what we cannot run */
  peerAlive(): boolean
  /** for the event history: this node asks to go standby for `set`, because of `origin` */
  standby?(set: Hold, origin: string): void
  /** for the event history: a transition (the name `work` gives it) has run */
  done?(what: string): void
}

export class Negotiation {
  private state: State = 'init'
  private held = 0
  private otherHolds = 0
  private otherStable = false
  private standby: Standby = 'not'
  private standbySet = 0
  private needsFailback = false
  private pending = 0
  /** groups that failed to start here, to hand to the peer once the transition settles */
  private failed = 0
  /** why they are handed over, for the event history */
  private failedOrigin = FAILED_START
  /** what we hold only because the peer was declared dead: what a healed partition gives back */
  private tookOver = 0
  /** a partition healed: the peer's next stable answer tells whether anyone runs our own groups */
  private healed = false
  private queue: Promise<void> = Promise.resolve()
  private timer?: NodeJS.Timeout
  private standbyTimer?: NodeJS.Timeout

  constructor(private readonly io: NegotiationIo) {}

  /** What cl_status rscstatus prints: our holdings once everything has settled, else `transition`. */
  resourceState(): string {
    const settled = this.otherStable && this.pending === 0 && this.standby === 'not' && (this.state === 'stable' || this.state === 'shutdown')
    return settled ? WORDS[this.held] : 'transition'
  }

  /** Communication is up: every peer has been heard from, or declared dead. */
  commUp(peerAlive: boolean): void {
    if (this.state !== 'init') return
    this.state = 'starting'
    this.io.send([['t', 'starting']])
    if (!peerAlive) this.alone()
  }

  /** No peer: everything is ours (Heartbeat's case 1). */
  private alone(): void {
    this.io.log.info('no peer is up: taking all resource groups')
    this.becomeStable()
    this.otherStable = true
    this.otherHolds = 0
    // the peer's groups go back to it when it joins (auto_failback), as after its death
    this.needsFailback = true
    this.takeWhatIsMissing('req_our_resources()')
  }

  onStarting(): void {
    if (this.state === 'init' || this.state === 'shutdown') return
    // the peer (re)joined and asks what we hold: from now on what we run is negotiated, not taken over
    this.tookOver = 0
    this.otherStable = false
    this.sendHeld(this.state === 'stable')
  }

  onResource(hold: string | undefined, isstable: string | undefined, info: string | undefined): void {
    if (this.state === 'init' || this.state === 'shutdown') return
    if (hold === undefined) return void this.io.log.err('resource message without rsc_hold: ignored')
    this.otherHolds = bits(hold)
    if (this.state === 'starting') {
      this.state = 'rscrcvd'
      this.timer = setTimeout(() => this.bothStartingElapsed(), BOTH_STARTING_MS)
    }
    if (info === 'shutdown') this.otherStable = false
    if (isstable === '1' && !this.otherStable) {
      this.io.log.info('remote resource transition completed')
      this.otherStable = true
      this.sendHeld(this.state === 'stable')
      this.performAutoFailback()
      this.takeOrphansAfterPartition()
    } else if (isstable === '0') {
      this.otherStable = false
    }
    if (this.state === 'rscrcvd' && this.otherStable) {
      this.becomeStable()
      this.reqOurResources(false)
      this.sendHeld(true)
      this.performAutoFailback()
    }
  }

  private bothStartingElapsed(): void {
    if (this.state !== 'rscrcvd') return
    this.becomeStable()
    this.reqOurResources(false)
    this.io.log.info('local resource transition completed')
    this.sendHeld(true)
  }

  private becomeStable(): void {
    clearTimeout(this.timer)
    this.state = 'stable'
  }

  /** Takes our own groups, unless the peer or we already hold them (or `anyway`). */
  private reqOurResources(anyway: boolean): void {
    if (!anyway && ((this.otherHolds & FOREIGN) !== 0 || (this.held & LOCAL) !== 0)) {
      this.io.log.info('local resource acquisition completed (none: they are held)')
      return
    }
    // marked before the start, so a resource message sent meanwhile already claims them
    this.held |= LOCAL
    this.work('acquire local groups', async () => {
      await this.take(LOCAL)
      this.sendHeld(true, 'req_our_resources()')
    })
  }

  /** Heartbeat's test: a dead peer that had said it holds nothing, and was stable, needs no fencing. */
  peerNeedsFence(): boolean {
    return !(this.otherHolds === 0 && this.otherStable)
  }

  /** This node holds (or is taking) a group, whatever the transition. */
  holdsAny(): boolean {
    return this.held !== 0
  }

  /** The peer last said it holds a group. */
  peerServes(): boolean {
    return this.otherHolds !== 0
  }

  /** The peer is dead (and fenced, when `fenced`): say how it was fenced, and take everything it held. */
  peerDead(fenced = false): void {
    clearTimeout(this.standbyTimer)
    this.standby = 'not'
    if (this.state === 'shutdown') return
    if (this.state !== 'stable') this.becomeStable()
    this.needsFailback = true
    // a peer that said it holds nothing (after its shutdone) needs no fencing
    const unneeded = !this.peerNeedsFence()
    this.io.send([['t', 'stonith'], ['node', this.io.peer], ['result', unneeded ? 'unneeded' : fenced ? 'OK' : 'n_stnth']])
    if (!unneeded && !fenced) this.io.log.warn('No STONITH device configured: shared disks are not protected')
    this.otherHolds = 0
    this.otherStable = true
    this.healed = false
    this.tookOver |= ALL & ~this.held
    if (this.held !== ALL) this.takeWhatIsMissing(undefined, 'mach_down')
  }

  /**
   * The peer we declared dead is back with the same generation: it never stopped, so during the
   * partition both nodes ran what they took over. Each gives back only that and keeps what it held
   * before (nothing it ran alone restarts), then asks what the peer holds (`starting`, which Heartbeat
   * answers from any state) and takes its own groups if nobody runs them (a partition in mid-standby).
   * A Heartbeat peer instead restarts itself: it hands everything over (shutdone), then joins again.
   */
  partitionHealed(): void {
    if (this.state === 'shutdown' || this.state === 'init') return
    clearTimeout(this.timer)
    clearTimeout(this.standbyTimer)
    this.standby = 'not'
    const give = this.tookOver & this.held
    this.tookOver = 0
    this.held &= ~give
    // unstable until the groups are given back: our answers say isstable=0 meanwhile
    this.state = 'healing'
    this.otherStable = false
    this.healed = true
    const what = give ? `giving up [${WORDS[give]}], taken over when it was declared dead` : 'we took nothing over, so we give nothing up'
    this.io.log.warn(`partition healed: ${what}; keeping [${WORDS[this.held]}]; negotiating again`)
    this.work('give back after a partition', async () => {
      if (give & FOREIGN) await this.io.release('foreign')
      if (give & LOCAL) await this.io.release('local')
      if (this.state !== 'healing') return
      this.becomeStable()
      this.otherStable = false
      this.io.send([['t', 'starting']])
    })
  }

  /** After a healed partition, the peer's first stable answer: take our own groups if neither node runs them. */
  private takeOrphansAfterPartition(): void {
    if (!this.healed || this.state !== 'stable') return
    this.healed = false
    if ((this.held & LOCAL) !== 0 || (this.otherHolds & FOREIGN) !== 0) return
    this.io.log.info('after the partition neither node runs our own groups: taking them')
    this.reqOurResources(true)
  }

  /** Takes the groups we do not hold, then tells the peer (`info`), as after a death or at startup alone. */
  private takeWhatIsMissing(info?: string, foreignInfo?: string): void {
    const missing = ALL & ~this.held
    this.held = ALL
    this.work('take over', async () => {
      if (missing & LOCAL) await this.take(LOCAL)
      if (missing & FOREIGN) await this.take(FOREIGN)
      if (foreignInfo) this.io.send([['t', 'resource'], ['rsc_hold', 'foreign'], ['info', foreignInfo]])
      this.sendHeld(true, info)
    })
  }

  /** The peer is gone and so is every ping node: this node is the one cut off, so it holds nothing. */
  isolated(): void {
    if (this.state === 'shutdown') return
    if (this.state !== 'stable') this.becomeStable()
    clearTimeout(this.standbyTimer)
    this.standby = 'not'
    this.otherStable = true
    this.healed = false
    this.tookOver = 0
    const give = this.held
    this.held = 0
    this.io.log.warn('cut off: the peer is dead and no ping node answers; giving up every group, taking none')
    this.work('give up (cut off)', async () => {
      if (give & FOREIGN) await this.io.release('foreign')
      if (give & LOCAL) await this.io.release('local')
    })
  }

  private async take(side: number): Promise<void> {
    if (await this.io.acquire(side === LOCAL ? 'local' : 'foreign')) return
    // what failed to start has been stopped again: we do not hold it
    this.held &= ~side
    this.failed |= side
  }

  /**
   * Groups that failed to start go to the peer by a standby for them, as soon as the transition has
   * settled (Heartbeat waits about 30 s before its hb_standby).
   */
  private handOverFailed(): void {
    if (this.failed === 0 || this.state === 'shutdown') return
    const set = WORDS[this.failed]
    if (!this.io.peerAlive()) {
      this.io.log.warn(`no peer is up to take the groups that failed to start [${set}]: they stay stopped`)
      this.failed = 0
      this.failedOrigin = FAILED_START
      return
    }
    if (this.standby !== 'not' || !this.otherStable || this.state !== 'stable' || this.pending > 0) {
      setTimeout(() => this.handOverFailed(), FAILBACK_RETRY_MS).unref()
      return
    }
    this.failed = 0
    this.io.log.info(`giving the groups that failed to start [${set}] to the peer`)
    this.askStandby(set, this.failedOrigin)
    this.failedOrigin = FAILED_START
  }

  /** Why a restart in place of part of a `side` group cannot run now; undefined when it can. */
  restartRefused(side: 'local' | 'foreign'): string | undefined {
    if ((this.held & (side === 'local' ? LOCAL : FOREIGN)) === 0) return `this node does not hold its ${side} groups`
    if (this.state !== 'stable' || this.standby !== 'not' || this.pending > 0) return 'resources are in transition; try again'
    return undefined
  }

  /**
   * Runs a restart in place (`restart`) as a transition of its own, so it overlaps no other. When it
   * answers false it has stopped the `side` groups: they are handed to the peer as groups that failed to
   * start are (a standby, `origin` recorded as who asked).
   */
  restartInPlace(side: 'local' | 'foreign', origin: string, restart: () => Promise<boolean>): Promise<void> {
    const bit = side === 'local' ? LOCAL : FOREIGN
    this.work('restart in place', async () => {
      if (await restart()) return
      this.held &= ~bit
      this.failed |= bit
      this.failedOrigin = origin
      this.sendHeld(true)
    })
    return this.queue
  }

  /** The peer shut down cleanly and holds nothing: take over at once, without waiting for deadtime. */
  onShutdone(): void {
    this.otherStable = true
    this.otherHolds = 0
    // the peer handed everything over: what we take now is given, not taken over
    this.healed = false
    this.tookOver = 0
    if (this.state === 'shutdown' || this.held === ALL) return
    clearTimeout(this.standbyTimer)
    this.becomeStable()
    // Heartbeat reports it as the end of a standby: the set relative to the peer that left
    const set = this.held === FOREIGN ? 'local' : this.held === LOCAL ? 'foreign' : 'all'
    this.standby = 'done'
    const missing = ALL & ~this.held
    this.held = ALL
    this.work('take over from a node that shut down', async () => {
      if (missing & LOCAL) await this.take(LOCAL)
      if (missing & FOREIGN) await this.take(FOREIGN)
      this.io.send([['t', 'ask_resources'], ['rsc_hold', set], ['info', 'done']])
      this.standby = 'not'
      this.sendHeld(true)
    })
  }

  /** auto_failback: hand the peer's groups back once it is stable, by going standby for them. */
  private performAutoFailback(): void {
    if (this.state === 'shutdown' || (this.held & FOREIGN) === 0 || !this.needsFailback || !this.io.autoFailback) {
      this.needsFailback = false
      return
    }
    if (this.standby !== 'not' || !this.otherStable || this.state !== 'stable' || this.pending > 0) {
      setTimeout(() => this.performAutoFailback(), FAILBACK_RETRY_MS).unref()
      return
    }
    this.io.log.info('auto_failback: giving the peer its groups back')
    this.needsFailback = false
    this.askStandby('foreign', 'auto_failback')
  }

  /**
   * hb_standby on this node: give `set` (relative to us) to the peer. Returns why not, when it cannot
   * start now; the outcome is logged as the phases go.
   */
  requestStandby(set: Hold, peerAlive: boolean, origin = 'hb_standby'): string | undefined {
    if (!peerAlive) return 'no peer is up to take the resources'
    if (this.state === 'shutdown') return 'shutting down'
    if (this.standby !== 'not') return 'a standby is already in progress'
    if (!this.otherStable) return 'the other node is in transition; try again'
    if (this.state !== 'stable' || this.pending > 0) return 'local resources are in transition; try again'
    this.askStandby(set, origin)
    return undefined
  }

  private askStandby(set: Hold, origin: string): void {
    this.io.standby?.(set, origin)
    this.standby = 'me'
    this.standbySet = bits(set)
    this.otherStable = false
    this.io.log.info(`going standby [${set}]`)
    this.io.send([['t', 'ask_resources'], ['rsc_hold', set], ['info', 'me']])
    clearTimeout(this.standbyTimer)
    this.standbyTimer = setTimeout(() => {
      if (this.standby !== 'me') return
      this.io.log.warn('no reply to the standby request within 10 s: standby cancelled')
      this.standby = 'not'
      this.otherStable = true
    }, STANDBY_REPLY_MS)
  }

  /** A peer's `hb_takeover`: it wants `set` (relative to it), so we go standby for the mirror set. */
  onTakeover(set: string | undefined, peerAlive: boolean): void {
    const mine = WORDS[mirror(bits(set))]
    const why = this.requestStandby(mine, peerAlive, `hb_takeover on ${this.io.peer}`)
    if (why) this.io.log.warn(`takeover request from the peer ignored: ${why}`)
  }

  onAskResources(set: string | undefined, info: string | undefined): void {
    if (this.state === 'shutdown') return
    const word = WORDS[bits(set)]
    const ignore = () => this.io.log.err(`ignored standby message '${info}' in standby state ${this.standby}`)
    switch (this.standby) {
      case 'not':
        if (info !== 'me') return ignore()
        if (!this.otherStable || this.state !== 'stable' || this.pending > 0) {
          return void this.io.log.warn(`standby request [${word}] from the peer ignored: resources are in transition`)
        }
        this.io.log.info(`the peer wants to go standby [${word}]`)
        this.otherStable = false
        this.standby = 'other'
        this.standbySet = bits(set)
        this.io.send([['t', 'ask_resources'], ['rsc_hold', word], ['info', 'other']])
        return
      case 'me': {
        if (info !== 'other') return ignore()
        clearTimeout(this.standbyTimer)
        const give = this.standbySet & this.held
        this.io.log.info(`standby: the peer can take our ${WORDS[this.standbySet]} resources`)
        this.held &= ~this.standbySet
        // Heartbeat announces what it keeps: a peer that read the set given up as still held logs "Both machines own our resources!"
        this.sendHeld(false, 'standby')
        this.standby = 'done'
        this.work('standby', async () => {
          if (give & FOREIGN) await this.io.release('foreign')
          if (give & LOCAL) await this.io.release('local')
          this.io.log.info(`local standby completed [${WORDS[this.standbySet]}]`)
          this.io.send([['t', 'ask_resources'], ['rsc_hold', WORDS[this.standbySet]], ['info', 'done']])
        })
        return
      }
      case 'other': {
        if (info !== 'done') return ignore()
        const take = mirror(this.standbySet) & ~this.held
        this.io.log.info(`standby: acquiring [${WORDS[this.standbySet]}] resources from the peer`)
        this.held |= mirror(this.standbySet)
        this.work('standby takeover', async () => {
          if (take & LOCAL) await this.take(LOCAL)
          if (take & FOREIGN) await this.take(FOREIGN)
          this.io.send([['t', 'ask_resources'], ['rsc_hold', word], ['info', 'done']])
          this.io.log.info(`standby resource acquisition done [${word}]`)
          this.standby = 'not'
          this.sendHeld(true)
        })
        return
      }
      case 'done':
        if (info !== 'done') return ignore()
        this.io.log.info(`the peer completed the standby takeover of ${word} resources`)
        this.standby = 'not'
        this.sendHeld(true)
        return
    }
  }

  /**
   * Leaves the cluster: announce it, stop every group (held or not, as Heartbeat), say `shutdone`.
   * The peer takes over on the shutdone, without waiting for deadtime.
   */
  async shutdown(): Promise<void> {
    if (this.state === 'shutdown') return this.queue
    clearTimeout(this.timer)
    clearTimeout(this.standbyTimer)
    this.state = 'shutdown'
    this.io.send([['t', 'resource'], ['rsc_hold', 'none'], ['rtype', 'full'], ['isstable', '0'], ['info', 'shutdown']])
    this.work('shutdown', async () => {
      await this.io.release('everything')
      this.held = 0
      this.io.send([['t', 'shutdone'], ['st', 'dead']])
    })
    return this.queue
  }

  private sendHeld(stable: boolean, info?: string): void {
    const fields: [string, string][] = [['t', 'resource'], ['rsc_hold', WORDS[this.held]], ['rtype', 'full'], ['isstable', stable ? '1' : '0']]
    if (info) fields.push(['info', info])
    this.io.send(fields)
  }

  /** Runs a transition after those before it; a failure is logged, and the next still runs. */
  private work(what: string, fn: () => Promise<void>): void {
    this.pending++
    this.queue = this.queue.then(fn).then(() => this.io.done?.(what)).catch((e: unknown) => this.io.log.err(`${what} failed: ${e instanceof Error ? e.message : String(e)}`)).finally(() => {
      this.pending--
      if (this.pending === 0) this.handOverFailed()
    })
  }

  stop(): void {
    clearTimeout(this.timer)
    clearTimeout(this.standbyTimer)
  }
}
