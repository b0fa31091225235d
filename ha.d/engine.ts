/**
 * The heartbeat engine: one process that speaks Heartbeat 3.0.6's protocol on the ha.cf media, decides
 * who is alive (membership), who runs what (negotiation, resource manager), and serves the commands.
 *
 *   media ─arrival→ decode → verify → sequence (drop duplicates, ask for gaps, ack) → dispatch by t=
 *   dispatch: status → membership;  starting/resource/ask_resources/hb_takeover/shutdone → negotiation;
 *             NS_rexmit → resend from the outbox;  reqnodes → repnodes
 *   membership: up/dead → negotiation;  negotiation → resource manager (haresources groups)
 *
 * A packet that is malformed, not authentic, from a stranger or a replay is counted and dropped with a
 * debug line: nothing a peer sends can stop the engine.
 */
import { readFileSync } from 'node:fs'
import type { Server, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { errorMessage } from '../lib/errors.ts'
import type { Logger } from '../lib/log.ts'
import { type Answer, type EngineStatus, type Request, openFifo, serveControl } from './control.ts'
import { Hooks } from './hooks.ts'
import { loadOrCreateUuid, nextGeneration } from './identity.ts'
import { Media, type Arrival, type Medium } from './media.ts'
import { Membership } from './membership.ts'
import { Negotiation } from './negotiation.ts'
import { type PingNodeConfig, PingNodes } from './ping.ts'
import { type Resource, ResourceManager, type ResourceManagerOptions } from './resources.ts'
import { restartNeeded } from './settings.ts'
import { Outbox, SeqTrack } from './sequence.ts'
import { type AuthKeys, verify } from './wire/auth.ts'
import { decode, encode } from './wire/codec.ts'
import { type Sender, compose } from './wire/compose.ts'
import { Message } from './wire/message.ts'

export const VERSION = '3.0.6 (halo 0.1.0)'
/** Heartbeat advertises a longer deadtime for its first seconds, so a slow start is not a death. */
const STARTUP_DT_EXTRA_MS = 2000
const STARTUP_DT_WINDOW_MS = 5000
const REQNODES_RETRY_MS = 1000
/** How long a shutdown waits for its last datagrams (the shutdone) to leave the sockets. */
const SEND_FLUSH_MS = 1000

/** What the engine needs of ha.cf, haresources and authkeys (times in ms). */
export interface EngineConfig {
  node: string
  nodes: readonly string[]
  keepalive: number
  deadtime: number
  warntime: number
  initdead: number
  deadping: number
  media: readonly Medium[]
  pingNodes: readonly PingNodeConfig[]
  autoFailback: 'on' | 'off' | 'legacy'
  groups: readonly { owner: string; resources: readonly Resource[] }[]
  auth: AuthKeys
  /** every ha.cf directive as written, for HA_<name> and `cl_status hbparameter` */
  parameters: Record<string, string>
  hopfudge: number
}

export interface EngineOptions {
  stateDir: string
  controlSocket: string
  fifo: string
  log: Logger
  /** the environment resource scripts get, on top of HA_<parameter> */
  scriptEnv: NodeJS.ProcessEnv
  scriptDirs: readonly string[]
  /** rc.d: hooks run for each message type received */
  rcDir: string
  /** how a stop that keeps failing is retried and what is done then */
  stopFailure?: Pick<ResourceManagerOptions, 'stopTries' | 'stopRetryMs' | 'lastResort' | 'onGiveUp'>
  /** reads ha.cf, haresources and authkeys again (halo-heartbeat -r); throws a ConfigError */
  reloadConfig(): EngineConfig
}

/** Bad packets by reason, for the log and for tests. */
export interface Counters {
  malformed: number
  unauthentic: number
  strangers: number
  replays: number
  duplicates: number
}

export class Engine {
  readonly counters: Counters = { malformed: 0, unauthentic: 0, strangers: 0, replays: 0, duplicates: 0 }
  private readonly peer: string
  private readonly membership: Membership
  private readonly negotiation: Negotiation
  private readonly rm: ResourceManager
  private readonly pings: PingNodes
  private readonly hooks: Hooks
  /** the peer is dead and no ping node answers: we gave everything up */
  private cutOff = false
  private lastSend: Promise<void> = Promise.resolve()
  private readonly outbox = new Outbox()
  private readonly tracks = new Map<string, SeqTrack>()
  private readonly peerUuid = new Map<string, Buffer>()
  /** a peer's generation that said shutdone: Heartbeat sends status for a second or two after it, which is no return */
  private readonly departed = new Map<string, number>()
  private media?: Media
  private sender!: Sender
  private control?: Server
  private fifo?: Socket
  private statusTimer?: NodeJS.Timeout
  private reqnodesTimer?: NodeJS.Timeout
  private startedAt = 0
  private commUp = false
  private stopping?: Promise<void>
  /** resolves when the engine has left the cluster and closed everything */
  readonly done: Promise<void>
  private finish!: () => void

  constructor(
    private cfg: EngineConfig,
    private readonly opts: EngineOptions,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve))
    const peers = cfg.nodes.filter((n) => n !== cfg.node)
    // halo runs the two-node clusters of haresources; a third node would need quorum, which v1 lacks
    this.peer = peers[0] ?? ''
    const log = opts.log
    this.membership = new Membership({ self: cfg.node, nodes: cfg.nodes, links: cfg.media.map((m) => m.iface), deadtime: cfg.deadtime, warntime: cfg.warntime, initdead: cfg.initdead, log })
    this.rm = new ResourceManager({ log, scriptDirs: opts.scriptDirs, env: opts.scriptEnv, ...opts.stopFailure })
    this.pings = new PingNodes(cfg.pingNodes, { interval: cfg.keepalive, deadping: cfg.deadping, log })
    this.pings.on('change', () => this.pingsChanged())
    this.hooks = new Hooks(opts.rcDir, { log, env: opts.scriptEnv })
    this.negotiation = new Negotiation({
      log,
      peer: this.peer,
      autoFailback: cfg.autoFailback !== 'off',
      peerAlive: () => this.peerAlive(),
      send: (fields) => this.send(new Message(fields.map(([name, value]) => ({ name, type: 0 as const, value })))),
      acquire: (side) => this.runGroups(side, 'take'),
      release: async (side) => void (await this.runGroups(side, 'give')),
    })
    this.membership.on('up', (p) => this.peerUp(p.name))
    this.membership.on('dead', (p) => this.peerDead(p.name))
    this.membership.on('partition', () => {
      // a status at once (as Heartbeat): the peer sees the partition healed before our negotiation messages
      this.sendStatus()
      this.negotiation.partitionHealed()
    })
    this.membership.on('restart', (p) => {
      // a peer that restarted has lost whatever it ran: as Heartbeat, that is a death, then a join
      this.tracks.get(p.name)?.stop()
      this.negotiation.peerDead()
    })
  }

  async start(): Promise<void> {
    const { cfg, opts } = this
    if (cfg.autoFailback === 'legacy') opts.log.warn('auto_failback legacy: halo treats it as "on"; set auto_failback on or off in ha.cf')
    const generation = nextGeneration(opts.stateDir)
    this.sender = { node: cfg.node, uuid: loadOrCreateUuid(opts.stateDir), generation, ttl: cfg.nodes.length + cfg.hopfudge }
    this.media = await Media.open(cfg.media)
    this.media.on('arrival', (a) => this.arrive(a))
    this.media.on('error', (e) => opts.log.err(`heartbeat medium: ${e.message}`))
    this.control = await serveControl(opts.controlSocket, (r) => this.handle(r))
    this.fifo = await openFifo(opts.fifo)
    this.readFifo(this.fifo)
    this.startedAt = performance.now()
    opts.log.info(`halo-heartbeat ${VERSION} starting on ${cfg.node} (generation ${generation}); media: ${this.media.links().join(', ')}`)
    this.sendStatus()
    this.statusTimer = setInterval(() => this.sendStatus(), cfg.keepalive)
    this.membership.start()
    this.pings.start()
    if (!this.peer) this.checkCommUp()
  }

  // ---- sending

  private send(own: Message): void {
    if (!this.media) return
    const type = own.get('t') ?? ''
    const sequenced = !type.startsWith('NS_')
    const dest = own.get('dest')
    const seq = sequenced ? this.outbox.next() : undefined
    const msg = compose(own, this.sender, {
      ts: Math.floor(Date.now() / 1000),
      seq,
      ld: sequenced ? loadavg() : undefined,
      destuuid: dest ? this.peerUuid.get(dest) : undefined,
    })
    const bytes = encode(msg, this.cfg.auth.use)
    if (seq !== undefined) this.outbox.keep(seq, bytes)
    this.lastSend = this.media.send(bytes)
  }

  private sendStatus(): void {
    const young = performance.now() - this.startedAt < STARTUP_DT_WINDOW_MS
    const dt = this.cfg.deadtime + (young ? STARTUP_DT_EXTRA_MS : 0)
    const st = this.commUp ? 'active' : 'up'
    this.send(new Message().add('t', 'status').add('st', st).addNum('dt', dt).addNum('protocol', 1))
  }

  // ---- receiving

  private arrive(a: Arrival): void {
    const decoded = decode(a.data)
    if (decoded instanceof Error) return this.drop('malformed', `${a.from}: ${decoded.message}`)
    const bad = verify(decoded, this.cfg.auth)
    if (bad) return this.drop('unauthentic', `${a.from}: ${bad.message}`)
    try {
      this.dispatch(decoded.message, a)
    } catch (e) {
      // a field of the wrong shape (a binary seq, a non-hex hg) is the peer's fault, not a crash
      this.drop('malformed', `${a.from}: ${errorMessage(e)}`)
    }
  }

  private drop(why: keyof Counters, detail: string): void {
    this.counters[why]++
    this.opts.log.debug(`dropped a packet (${why}): ${detail}`)
  }

  private dispatch(msg: Message, a: Arrival): void {
    const src = msg.get('src')
    const type = msg.get('t')
    if (src === this.cfg.node) return
    if (!src || !type || src !== this.peer) return this.drop('strangers', `${a.from}: src=${src} t=${type}`)
    const hg = msg.num('hg') ?? 0
    const known = this.membership.peers.get(src)!
    if (hg < known.generation) return this.drop('replays', `${src}: generation ${hg} < ${known.generation}`)
    const uuid = msg.bytes('srcuuid')
    if (uuid) this.peerUuid.set(src, uuid)
    const seq = msg.num('seq')
    if (seq !== undefined) {
      const track = this.track(src)
      if (track.arrived(hg, seq) === 'duplicate') {
        // the same status on a second medium still proves that link alive
        if (type === 'status' && seq === track.last) this.heardStatus(msg, src, hg, a.link)
        return this.drop('duplicates', `${src} seq ${seq} t=${type}`)
      }
      if (track.shouldAck(seq)) this.send(new Message().add('t', 'NS_ackmsg').add('dest', src).addNum('ackseq', seq))
    }
    const dest = msg.get('dest')
    if (dest !== undefined && dest !== this.cfg.node) return
    this.opts.log.debug(`got t=${type} from ${src}${seq !== undefined ? ` seq ${seq}` : ''}`)
    this.hooks.received(msg)
    switch (type) {
      case 'status':
        return this.heardStatus(msg, src, hg, a.link)
      case 'NS_rexmit':
        return this.retransmit(src, msg)
      case 'NS_nak_rexmit':
        return this.track(src).forget(msg.num('firstseq') ?? 0, msg.num('lastseq') ?? msg.num('firstseq') ?? 0)
      case 'reqnodes':
        return this.send(new Message().add('dest', src).add('t', 'repnodes').add('nodelist', this.cfg.nodes.map((n) => `${n} `).join('')).add('delnodelist', ' '))
      case 'repnodes':
        return clearTimeout(this.reqnodesTimer)
      case 'starting':
        return this.negotiation.onStarting()
      case 'resource':
        return this.negotiation.onResource(msg.get('rsc_hold'), msg.get('isstable'), msg.get('info'))
      case 'ask_resources':
        return this.negotiation.onAskResources(msg.get('rsc_hold'), msg.get('info'))
      case 'hb_takeover':
        return this.negotiation.onTakeover(msg.get('rsc_hold'), this.peerAlive())
      case 'shutdone':
        this.opts.log.info(`node ${src} is shutting down: taking over at once`)
        this.departed.set(src, hg)
        this.negotiation.onShutdone()
        return this.membership.departed(src)
    }
  }

  private heardStatus(msg: Message, src: string, hg: number, link: string): void {
    if (this.departed.get(src) === hg) return
    const dt = msg.num('dt') ?? this.cfg.deadtime
    this.membership.heard({ from: src, generation: hg, state: msg.get('st') ?? 'up', deadtime: dt, link })
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
      if (bytes) void this.media?.send(bytes)
      else this.send(new Message().add('t', 'NS_nak_rexmit').add('dest', peer).addNum('firstseq', s))
    }
  }

  // ---- membership

  private peerAlive(): boolean {
    const p = this.membership.peers.get(this.peer)
    return p !== undefined && p.state !== 'dead' && p.state !== 'init'
  }

  private peerUp(name: string): void {
    this.opts.log.info(`node ${name} is up`)
    this.cutOff = false
    this.sendReqnodes(name, 5)
    this.checkCommUp()
  }

  /** Heartbeat asks a node that joins for its node list; a real peer answers, and so do we. */
  private sendReqnodes(name: string, tries: number): void {
    clearTimeout(this.reqnodesTimer)
    if (tries === 0 || !this.peerAlive()) return
    this.send(new Message().add('t', 'reqnodes').add('dest', name))
    this.reqnodesTimer = setTimeout(() => this.sendReqnodes(name, tries - 1), REQNODES_RETRY_MS)
  }

  private peerDead(name: string): void {
    this.tracks.get(name)?.stop()
    this.tracks.delete(name)
    if (!this.commUp) return this.checkCommUp()
    void this.afterDeath()
  }

  /** With ping nodes, a death is acted on once we know whether we still reach the world (ipfail's rule). */
  private async afterDeath(): Promise<void> {
    if (this.pings.configured && !(await this.pings.fresh())) return this.isolate()
    if (!this.peerAlive() && !this.cutOff) this.negotiation.peerDead()
  }

  private isolate(): void {
    if (this.cutOff || this.peerAlive()) return
    this.cutOff = true
    this.negotiation.isolated()
  }

  /** While the peer is dead, losing every ping node means we are cut off; reaching one again, we take over. */
  private pingsChanged(): void {
    if (!this.commUp || this.peerAlive()) return
    if (!this.pings.reachable()) return this.isolate()
    if (!this.cutOff) return
    this.cutOff = false
    this.opts.log.info('a ping node answers again: taking over from the dead peer')
    this.negotiation.peerDead()
  }

  /** Communication is up once every peer has been heard from or declared dead (after initdead). */
  private checkCommUp(): void {
    if (this.commUp) return
    const peer = this.membership.peers.get(this.peer)
    if (peer && peer.state === 'init') return
    this.commUp = true
    const alive = this.peerAlive()
    this.opts.log.info(alive ? 'communication with the peer is up: negotiating resources' : `node ${this.peer || '(none)'} is not up: starting alone`)
    this.negotiation.commUp(alive)
  }

  // ---- resources

  /** Runs the groups of one side; false when one of them failed (to start, or to stop cleanly). */
  private async runGroups(side: 'local' | 'foreign' | 'everything', how: 'take' | 'give'): Promise<boolean> {
    const groups = this.cfg.groups.filter((g) => side === 'everything' || (side === 'local') === (g.owner === this.cfg.node))
    // groups start in haresources order and stop in reverse, as ResourceManager does
    let ok = true
    for (const g of how === 'take' ? groups : [...groups].reverse()) {
      if (!(await (how === 'take' ? this.rm.takeGroup(g.resources) : this.rm.giveGroup(g.resources)))) ok = false
    }
    return ok
  }

  // ---- commands

  private async handle(r: Request): Promise<Answer> {
    switch (r.op) {
      case 'status':
        return { ok: true, status: this.status() }
      case 'standby': {
        const why = this.negotiation.requestStandby(r.set, this.peerAlive())
        return why ? { ok: false, error: `standby [${r.set}] refused: ${why}` } : { ok: true, message: `going standby [${r.set}].` }
      }
      case 'takeover':
        if (!this.peerAlive()) return { ok: false, error: 'no peer is up: this node already runs what it can' }
        this.send(new Message().add('t', 'hb_takeover').add('rsc_hold', r.set))
        return { ok: true, message: `asked ${this.peer} to hand over [${r.set}].` }
      case 'shutdown':
        void this.shutdown()
        return { ok: true, message: 'shutting down' }
      case 'reload':
        return this.reload()
    }
  }

  /** halo-heartbeat -r: a new authkeys and rc.d take effect, the rest at restart; a bad file changes nothing. */
  private reload(): Answer {
    let next: EngineConfig
    try {
      next = this.opts.reloadConfig()
    } catch (e) {
      this.opts.log.err(`reload refused, nothing changed: ${errorMessage(e)}`)
      return { ok: false, error: `${errorMessage(e)} (nothing changed)` }
    }
    const later = restartNeeded(this.cfg, next)
    this.cfg = { ...this.cfg, auth: next.auth }
    this.hooks.scan()
    const use = next.auth.use
    this.opts.log.info(`configuration re-read: signing with key ${use.index} (${use.method})`)
    if (later.length > 0) this.opts.log.warn(`changes to ${later.join(', ')} take effect when halo-heartbeat restarts`)
    return { ok: true, message: `configuration re-read${later.length > 0 ? `; restart halo-heartbeat to apply the changes to ${later.join(', ')}` : ''}` }
  }

  status(): EngineStatus {
    const nodes: EngineStatus['nodes'] = this.cfg.nodes.map((name) => {
      const p = this.membership.peers.get(name)
      const links = name === this.cfg.node ? this.cfg.media.map((m) => ({ iface: m.iface, status: 'up' as const })) : [...(p?.links ?? [])].map(([iface, l]) => ({ iface, status: l.up ? ('up' as const) : ('dead' as const) }))
      return { name, type: 'normal' as const, status: name === this.cfg.node ? 'active' : (p?.state ?? 'dead'), links }
    })
    for (const p of this.pings.nodes) {
      const status = p.alive ? ('up' as const) : ('dead' as const)
      nodes.push({ name: p.name, type: 'ping' as const, status: p.alive ? 'ping' : 'dead', links: [{ iface: p.name, status }] })
    }
    return { version: VERSION, node: this.cfg.node, nodes, drops: { ...this.counters }, resources: this.negotiation.resourceState(), parameters: this.cfg.parameters, pid: process.pid }
  }

  /** Reads Heartbeat's FIFO: classic-form messages written by hb_standby/hb_takeover scripts. */
  private readFifo(fifo: Socket): void {
    let buf = ''
    fifo.on('error', (e) => this.opts.log.err(`${this.opts.fifo}: ${e.message}`))
    fifo.on('data', (d) => {
      buf += d.toString('latin1')
      let end: number
      while ((end = buf.indexOf('<<<\n')) >= 0) {
        const start = buf.lastIndexOf('>>>\n', end)
        const text = start >= 0 ? buf.slice(start, end + 4) : ''
        buf = buf.slice(end + 4)
        const decoded = decode(Buffer.from(text, 'latin1'))
        if (decoded instanceof Error) {
          this.opts.log.warn(`${this.opts.fifo}: unreadable message: ${decoded.message}`)
          continue
        }
        this.fromFifo(decoded.message)
      }
    })
  }

  private fromFifo(msg: Message): void {
    const type = msg.get('t')
    const set = (msg.get('rsc_hold') ?? 'all') as 'all' | 'local' | 'foreign'
    if (type === 'ask_resources' && msg.get('info') === 'me') void this.handle({ op: 'standby', set }).then((a) => !a.ok && this.opts.log.warn(a.error))
    else if (type === 'hb_takeover') void this.handle({ op: 'takeover', set }).then((a) => !a.ok && this.opts.log.warn(a.error))
    else this.opts.log.warn(`${this.opts.fifo}: message t=${type} ignored (halo acts on ask_resources and hb_takeover)`)
  }

  /** Leaves the cluster cleanly: hand over, say shutdone, close everything. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.opts.log.info('shutdown requested: giving up resources')
      const t0 = performance.now()
      await this.negotiation.shutdown()
      this.opts.log.info(`resources given up in ${Math.round(performance.now() - t0)} ms; leaving the cluster`)
      // the peer takes over on the shutdone: close the sockets once it has left them (bounded)
      await Promise.race([this.lastSend, sleep(SEND_FLUSH_MS, undefined, { ref: false })])
      this.close()
    })()
    return this.stopping
  }

  private close(): void {
    clearInterval(this.statusTimer)
    clearTimeout(this.reqnodesTimer)
    this.membership.stop()
    this.negotiation.stop()
    this.pings.stop()
    for (const t of this.tracks.values()) t.stop()
    this.media?.close()
    this.control?.close()
    this.fifo?.destroy()
    this.finish()
  }
}

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim()
  } catch {
    return '0.00 0.00 0.00 1/1 1'
  }
}
