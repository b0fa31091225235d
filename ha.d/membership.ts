/**
 * Who is alive. A peer is dead when its own advertised deadtime (`dt` in its status) has passed since it
 * last proved itself alive: by a status, or by any other datagram the exchange finds to prove it (see
 * exchange.ts); a node never heard from is dead after initdead. Each peer has a timer of its own, re-armed
 * by each proof: death is declared the moment its deadtime passes, not at the next tick. Heartbeat checks
 * every 250 ms, so a status due right at the deadline (deadtime a multiple of keepalive, as in most
 * ha.cf) never kills there; a small margin does the same here without waiting for a tick.
 * Generations: lower than the last seen is a replay (dropped); higher is a restart of that node; the
 * same one from a node we declared dead is a healed partition (it never stopped: we just lost it).
 */
import { EventEmitter } from 'node:events'
import type { Logger } from '../lib/log.ts'

/** How late past its deadtime a peer's proof of life may come: the delivery jitter of a status due then. */
const LATE_MARGIN_MS = 25

/** The words cl_status uses: init and up before the node is active, dead after its deadtime. */
export type NodeState = 'init' | 'up' | 'active' | 'dead'

/** What membership needs of a status message. */
export interface StatusHeard {
  from: string
  generation: number
  /** st= of the message: init, up or active */
  state: string
  /** the sender's deadtime (dt=), ms */
  deadtime: number
  /** the interface it came in on */
  link: string
}

export interface Peer {
  name: string
  state: NodeState
  generation: number
  /** its deadtime, from its last status (dt=), ms; none before its first */
  deadtime?: number
  /** performance.now() of its last proof of life (a status, or another datagram that proves it) */
  lastHeard: number
  /** performance.now() of its last accepted status, for "Late heartbeat" */
  lastStatus: number
  links: Map<string, { up: boolean; timer?: NodeJS.Timeout }>
  timer?: NodeJS.Timeout
}

export interface MembershipOptions {
  self: string
  nodes: readonly string[]
  links: readonly string[]
  warntime: number
  initdead: number
  log: Logger
}

export type Verdict = 'accepted' | 'replay' | 'stranger' | 'self'

export class Membership extends EventEmitter<{ up: [Peer]; dead: [Peer]; restart: [Peer]; partition: [Peer] }> {
  readonly peers = new Map<string, Peer>()

  constructor(private readonly opts: MembershipOptions) {
    super()
    for (const name of opts.nodes) {
      if (name === opts.self) continue
      this.peers.set(name, { name, state: 'init', generation: 0, lastHeard: 0, lastStatus: 0, links: new Map(opts.links.map((l) => [l, { up: false }])) })
    }
  }

  /** Arms the initdead timers: a node not heard from by then counts as dead. */
  start(): void {
    for (const peer of this.peers.values()) this.arm(peer, this.opts.initdead)
  }

  heard(msg: StatusHeard): Verdict {
    if (msg.from === this.opts.self) return 'self'
    const peer = this.peers.get(msg.from)
    if (!peer) return 'stranger'
    if (msg.generation < peer.generation) {
      this.opts.log.warn(`dropped a status from ${peer.name} with generation ${msg.generation} < ${peer.generation} (replay?)`)
      return 'replay'
    }
    const now = performance.now()
    const restarted = peer.generation !== 0 && msg.generation > peer.generation
    if (peer.lastStatus > 0 && peer.state !== 'dead' && !restarted) {
      const interval = now - peer.lastStatus
      if (interval > this.opts.warntime) this.opts.log.warn(`Late heartbeat: node ${peer.name}: interval ${Math.round(interval)} ms`)
    }
    const wasDead = peer.state === 'dead' || peer.state === 'init'
    // Heartbeat's test: a status from a node marked dead, generation unchanged (and known)
    const healed = peer.state === 'dead' && !restarted && peer.generation > 0
    peer.generation = msg.generation
    peer.deadtime = msg.deadtime
    peer.lastHeard = peer.lastStatus = now
    peer.state = msg.state === 'active' ? 'active' : 'up'
    this.arm(peer, msg.deadtime + LATE_MARGIN_MS, msg.deadtime)
    this.linkHeard(peer, msg.link, msg.deadtime)
    if (restarted) {
      this.opts.log.info(`node ${peer.name} restarted (generation ${msg.generation})`)
      // a restart we saw die is a plain join; one quicker than its deadtime lost what it ran all the same
      if (!wasDead) this.emit('restart', peer)
    }
    if (healed) {
      this.opts.log.err(
        `node ${peer.name} came back after a partition: same generation ${msg.generation}, so it never stopped (deadtime too short, or every heartbeat link was lost); both nodes ran the groups they took over`,
      )
    }
    if (wasDead) {
      this.opts.log.info(`node ${peer.name}: status ${peer.state}`)
      this.emit('up', peer)
    }
    if (healed) this.emit('partition', peer)
    return 'accepted'
  }

  /**
   * A datagram of the peer's on `link` (exchange.ts): the link is up; `at` proves the node alive then,
   * which postpones its death. Only a status raises a node that is dead or not yet heard from. Returns
   * whether the peer counts as alive (up or active).
   */
  alive(name: string, link: string, at?: number): boolean {
    const peer = this.peers.get(name)
    // only a status raises a peer, and a status says its deadtime
    if (!peer || peer.state === 'dead' || peer.state === 'init' || peer.deadtime === undefined) return false
    const { deadtime } = peer
    this.linkHeard(peer, link, deadtime)
    if (at !== undefined && at > peer.lastHeard) {
      peer.lastHeard = at
      this.arm(peer, at + deadtime + LATE_MARGIN_MS - performance.now(), deadtime)
    }
    return true
  }

  /** Declares the peer dead in `ms` unless a proof of life comes first; `deadtime` is what the log says. */
  private arm(peer: Peer, ms: number, deadtime = ms): void {
    clearTimeout(peer.timer)
    peer.timer = setTimeout(() => this.die(peer, deadtime), ms)
  }

  private die(peer: Peer, ms: number): void {
    if (peer.state === 'dead') return
    const silent = peer.lastHeard === 0 ? 'never heard from' : `silent for ${Math.round(performance.now() - peer.lastHeard)} ms`
    this.opts.log.warn(`node ${peer.name} is dead (${silent}; its deadtime is ${ms} ms)`)
    peer.state = 'dead'
    for (const link of peer.links.values()) {
      clearTimeout(link.timer)
      link.up = false
    }
    this.emit('dead', peer)
  }

  /** A peer announced its departure (shutdone): dead now, without waiting for its deadtime. */
  departed(name: string): void {
    const peer = this.peers.get(name)
    if (!peer) return
    clearTimeout(peer.timer)
    this.die(peer, 0)
  }

  private linkHeard(peer: Peer, link: string, deadtime: number): void {
    let l = peer.links.get(link)
    if (!l) peer.links.set(link, (l = { up: false }))
    if (!l.up) this.opts.log.info(`link ${peer.name}:${link} up`)
    l.up = true
    clearTimeout(l.timer)
    l.timer = setTimeout(() => {
      l.up = false
      this.opts.log.warn(`link ${peer.name}:${link} dead`)
    }, deadtime)
  }

  stop(): void {
    for (const peer of this.peers.values()) {
      clearTimeout(peer.timer)
      for (const l of peer.links.values()) clearTimeout(l.timer)
    }
  }
}
