/**
 * The heartbeat engine: one process that speaks Heartbeat 3.0.6's protocol on the ha.cf media, decides
 * who is alive (membership), who runs what (negotiation, resource manager), and serves the commands.
 *
 *   exchange (the wire: media, auth, sequence numbers) → dispatch by t=
 *   dispatch: status → membership;  starting/resource/ask_resources/hb_takeover/shutdone → negotiation;
 *             reqnodes → repnodes;  start_outdate/outdate_rc → DRBD's fence-peer (outdate.ts);
 *             halo_files/halo_files_rc → halo check --peer (peer-files.ts)
 *   membership: up/dead → negotiation;  negotiation → resource manager (haresources groups)
 */
import type { Server as HttpServer } from 'node:http'
import type { Server, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { errorMessage } from '../lib/errors.ts'
import type { Logger } from '../lib/log.ts'
import { type Answer, type EngineStatus, type Request, type ResourceSet, serveControl } from './control.ts'
import type { Medium } from './config/hacf-media.ts'
import { Exchange, type ExchangeOptions, type Heard } from './exchange.ts'
import { MAX_REXMIT_DELAY } from './sequence.ts'
import type { Fencing } from './fencing.ts'
import { openFifo, readFifo } from './fifo.ts'
import type { Journal } from './history.ts'
import { Hooks } from './hooks.ts'
import { loadOrCreateUuid, nextGeneration } from './identity.ts'
import { Membership, type Peer } from './membership.ts'
import { Negotiation } from './negotiation.ts'
import { Outdater } from './outdate.ts'
import { PingNodes } from './ping.ts'
import { Recorder } from './recorder.ts'
import { Recovery } from './recovery.ts'
import { ResourceManager, type ResourceManagerOptions } from './resources.ts'
import { Respawn } from './respawn.ts'
import { crcWarnings, type EngineConfig, restartNeeded } from './settings.ts'
import { WarmNode } from './warm-node.ts'
import { Watchdog } from './watchdog.ts'
import { Message } from './wire/message.ts'
import type { ClusterView } from './metrics/exposition.ts'
import type { MetricsListen } from './metrics/listen.ts'
import { Probes, type ProbeReaders } from './metrics/probes.ts'
import type { ClusterFilesSpec } from './cluster-files.ts'
import { FileExchange } from './peer-files.ts'
import { serveMetrics } from './metrics/server.ts'
import { Tally } from './metrics/tally.ts'

export const VERSION = '3.0.6 (halo 0.1.0)'
/** Heartbeat advertises a longer deadtime for its first seconds, so a slow start is not a death. */
const STARTUP_DT_EXTRA_MS = 2000
export const STARTUP_DT_WINDOW_MS = 5000
const REQNODES_RETRY_MS = 1000
/** How long a shutdown waits for its last datagrams (the shutdone) to leave the sockets. */
const SEND_FLUSH_MS = 1000

const RESOURCE_SETS: readonly unknown[] = ['all', 'local', 'foreign'] satisfies ResourceSet[]

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
  /** the fence devices of ha.cf's stonith lines and fence.cf; without them nothing is fenced, as Heartbeat */
  fencing?: Fencing
  /** reads ha.cf, haresources and authkeys again (halo-heartbeat -r); throws a ConfigError */
  reloadConfig(): EngineConfig
  /** the event history (/var/lib/halo/history.jsonl); none in the engine's unit tests */
  history?: Journal
  /** opens the wire on the media: Exchange.open, or in the engine's unit tests an Exchange over fake media */
  openWire?: (media: readonly Medium[], opts: ExchangeOptions) => Promise<Exchange>
  /** where the metrics endpoint and the status page listen (HALO_METRICS); off without */
  metrics?: MetricsListen
  /** what the metrics ask beyond the engine (halo-mon, DRBD): nodeReaders, or fakes in unit tests */
  metricsProbes?: ProbeReaders
  /** the files halo check --peer compares (ha.d/cluster-files.ts); without, the peer's requests are not answered */
  clusterFiles?: ClusterFilesSpec
}

export class Engine {
  private readonly peer: string
  private readonly membership: Membership
  private readonly negotiation: Negotiation
  private readonly rm: ResourceManager
  private readonly pings: PingNodes
  private readonly hooks: Hooks
  private readonly outdater: Outdater
  private readonly fileExchange?: FileExchange
  private readonly respawn: Respawn
  private readonly recorder: Recorder
  private readonly recovery: Recovery
  private readonly warm: WarmNode
  /** the peer is dead and no ping node answers: we gave everything up */
  private cutOff = false
  /** how many ping nodes the peer reaches, as its last num_ping_nodes said */
  private peerPings?: number
  private pingRetry?: NodeJS.Timeout
  /** a peer's generation that said shutdone: Heartbeat sends status for a second or two after it, which is no return */
  private readonly departed = new Map<string, number>()
  /** the dead peer was fenced (or found powered off): what it held may be taken */
  private peerFenced = false
  /** a fence of the peer is under way */
  private fencingPeer?: Promise<boolean>
  private wire?: Exchange
  private control?: Server
  private metricsServer?: HttpServer
  /** deaths, failovers, fences, false deaths: what the metrics count */
  readonly tally = new Tally()
  private fifo?: Socket
  private watchdog?: Watchdog
  private statusTimer?: NodeJS.Timeout
  private reqnodesTimer?: NodeJS.Timeout
  private startedAt = 0
  /** for the status: our generation, and the wall-clock time each node (this one: its engine) came up */
  private generation = 0
  private readonly upSince = new Map<string, string>()
  private commUp = false
  /** the deadtime (dt=) of our last status: how long the peer waits before it finds us dead */
  private advertisedDeadtime = 0
  /** the deadtime our statuses said when the peer was last heard: what it may still hold as ours */
  private deadtimeWhenHeard = 0
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
    const recorder = (this.recorder = new Recorder(cfg.node, opts.history, (e) => this.tally.seen(e)))
    if (opts.fencing) opts.fencing.onRecord = (r) => recorder.fence(r)
    this.membership = new Membership({ self: cfg.node, nodes: cfg.nodes, links: cfg.media.map((m) => m.iface), warntime: cfg.warntime, initdead: cfg.initdead, log })
    this.warm = new WarmNode(opts.scriptEnv)
    this.rm = new ResourceManager({
      log,
      scriptDirs: opts.scriptDirs,
      env: opts.scriptEnv,
      warm: this.warm,
      ...opts.stopFailure,
      onStarted: (r) => recorder.started(r),
      onStopped: (r) => recorder.stopped(r),
      onFailed: (r, action, why) => recorder.failed(r, action, why),
    })
    this.pings = new PingNodes(cfg.pingNodes, { interval: cfg.keepalive, deadping: cfg.deadping, log })
    this.pings.on('change', () => this.pingsChanged())
    this.hooks = new Hooks(opts.rcDir, { log, env: opts.scriptEnv })
    this.respawn = new Respawn(cfg.respawn, { log, env: opts.scriptEnv, leave: () => void this.shutdown() })
    this.negotiation = new Negotiation({
      log,
      peer: this.peer,
      autoFailback: cfg.autoFailback !== 'off',
      peerAlive: () => this.peerAlive(),
      send: (fields) => this.send(new Message(fields.map(([name, value]) => ({ name, type: 0 as const, value })))),
      acquire: (side) => this.runGroups(side, 'take'),
      release: async (side) => void (await this.runGroups(side, 'give')),
      standby: (set, origin) => recorder.standby(set, origin),
      done: (what) => recorder.transitionDone(what),
    })
    this.recovery = new Recovery({
      log,
      node: cfg.node,
      rm: this.rm,
      recorder,
      negotiation: this.negotiation,
      groups: () => this.cfg.groups,
      peerAlive: () => this.peerAlive(),
      release: (side) => this.runGroups(side, 'give'),
    })
    this.recovery.configure(cfg.recovery)
    // ha.d/fencing.ts tells peerFenced
    this.outdater = new Outdater({ peer: this.peer, log, env: opts.scriptEnv, send: (m) => this.send(m), peerAlive: () => this.peerAlive(), peerFenced: () => this.peerFenced, fenceSettled: () => this.fencingPeer ?? Promise.resolve() })
    this.membership.on('dead', () => this.outdater.peerLost())
    if (opts.clusterFiles) this.fileExchange = new FileExchange({ peer: this.peer, log, send: (m) => this.send(m), peerAlive: () => this.peerAlive(), files: opts.clusterFiles })
    this.membership.on('up', (p) => this.peerUp(p.name))
    this.membership.on('dead', (p) => this.peerDead(p))
    this.membership.on('partition', (p) => {
      recorder.partitionHealed(p.name)
      // a status at once (as Heartbeat): the peer sees the partition healed before our negotiation messages
      this.sendStatus()
      this.negotiation.partitionHealed()
    })
    this.membership.on('restart', (p) => {
      recorder.nodeRestarted(p.name)
      // a peer that restarted has lost whatever it ran: as Heartbeat, that is a death, then a join
      this.wire?.forget(p.name)
      this.upSince.set(p.name, new Date().toISOString())
      this.negotiation.peerDead()
    })
  }

  async start(): Promise<void> {
    const { cfg, opts } = this
    if (cfg.autoFailback === 'legacy') opts.log.warn('auto_failback legacy: halo treats it as "on"; set auto_failback on or off in ha.cf')
    // first: an address that cannot be bound stops the start before anything is sent or written
    if (opts.metrics) {
      const probes = opts.metricsProbes && new Probes(opts.metricsProbes)
      this.metricsServer = await serveMetrics(opts.metrics, async () => ({ ...this.view(), ...(await probes?.get()) }))
      opts.log.info(`metrics and the status page on http://${opts.metrics.host.includes(':') ? `[${opts.metrics.host}]` : opts.metrics.host}:${opts.metrics.port}/${opts.metrics.token ? ' (bearer token required)' : ''}`)
    }
    const generation = (this.generation = nextGeneration(opts.stateDir))
    this.wire = await (opts.openWire ?? Exchange.open)(cfg.media, {
      self: cfg.node,
      peer: this.peer,
      sender: { node: cfg.node, uuid: loadOrCreateUuid(opts.stateDir), generation, ttl: cfg.nodes.length + cfg.hopfudge },
      log: opts.log,
      auth: () => this.cfg.auth,
      knownGeneration: (src) => this.membership.peers.get(src)?.generation ?? 0,
      deliver: (h) => this.dispatch(h),
      alive: (src, link, at) => this.membership.alive(src, link, at),
      keepalive: cfg.keepalive,
      rexmitDelay: Number(cfg.parameters.max_rexmit_delay ?? MAX_REXMIT_DELAY),
    })
    this.control = await serveControl(opts.controlSocket, (r) => this.handle(r))
    this.fifo = await openFifo(opts.fifo)
    readFifo(this.fifo, (m) => this.fromFifo(m), (why) => opts.log.warn(`${opts.fifo}: ${why}`))
    this.startedAt = performance.now()
    this.recorder.engineStart(generation)
    this.upSince.set(cfg.node, new Date().toISOString())
    opts.log.info(`halo-heartbeat ${VERSION} starting on ${cfg.node} (generation ${generation}); media: ${this.wire.links().join(', ')}`)
    // ha.cf's watchdog, fed with every status we send: a hung engine stops feeding it. Opened once nothing
    // can fail the start any more: an engine that refuses to start must not leave it armed to reset the node
    if (cfg.parameters.watchdog) this.watchdog = Watchdog.open(cfg.parameters.watchdog, opts.log)
    this.sendStatus()
    this.statusTimer = setInterval(() => this.sendStatus(), cfg.keepalive)
    this.membership.start()
    this.pings.start()
    this.opts.fencing?.startChecks()
    if (!this.peer) this.checkCommUp()
  }

  // ---- messages

  private send(own: Message): void {
    this.wire?.send(own)
  }

  private young(): boolean {
    return performance.now() - this.startedAt < STARTUP_DT_WINDOW_MS
  }

  private sendStatus(): void {
    const dt = (this.advertisedDeadtime = this.cfg.deadtime + (this.young() ? STARTUP_DT_EXTRA_MS : 0))
    const st = this.commUp ? 'active' : 'up'
    this.send(new Message().add('t', 'status').add('st', st).addNum('dt', dt).addNum('protocol', 1))
    this.watchdog?.feed()
  }

  private dispatch(h: Heard): void {
    const { msg, src, type } = h
    this.hooks.received(msg)
    if (src === this.peer) this.deadtimeWhenHeard = this.advertisedDeadtime
    switch (type) {
      case 'status':
        return this.heardStatus(h)
      case 'reqnodes':
        return this.send(new Message().add('dest', src).add('t', 'repnodes').add('nodelist', this.cfg.nodes.map((n) => `${n} `).join('')).add('delnodelist', ' '))
      case 'repnodes':
        return clearTimeout(this.reqnodesTimer)
      case 'starting':
        return this.negotiation.onStarting()
      case 'resource':
        return this.negotiation.onResource(msg.get('rsc_hold'), msg.get('isstable'), msg.get('info'))
      case 'ask_resources':
        if (msg.get('info') === 'me') this.recorder.peerStandby(src, msg.get('rsc_hold') ?? 'all')
        return this.negotiation.onAskResources(msg.get('rsc_hold'), msg.get('info'))
      case 'hb_takeover':
        return this.negotiation.onTakeover(msg.get('rsc_hold'), this.peerAlive())
      case 'start_outdate':
      case 'outdate_rc':
        return this.outdater.heard(h)
      case 'halo_files':
      case 'halo_files_rc':
        return this.fileExchange?.heard(h)
      case 'num_ping_nodes':
        this.peerPings = msg.num('num_ping')
        return this.comparePings()
      case 'shutdone':
        this.opts.log.info(`node ${src} is shutting down: taking over at once`)
        this.recorder.peerShutdown(src)
        this.departed.set(src, h.hg)
        this.negotiation.onShutdone()
        return this.membership.departed(src)
    }
  }

  private heardStatus({ msg, src, hg, link }: Heard): void {
    if (this.departed.get(src) === hg) return
    const dt = msg.num('dt') ?? this.cfg.deadtime
    this.membership.heard({ from: src, generation: hg, state: msg.get('st') ?? 'up', deadtime: dt, link })
  }

  // ---- membership

  private peerAlive(): boolean {
    const p = this.membership.peers.get(this.peer)
    return p !== undefined && p.state !== 'dead' && p.state !== 'init'
  }

  private peerUp(name: string): void {
    this.opts.log.info(`node ${name} is up`)
    this.recorder.nodeUp(name)
    this.upSince.set(name, new Date().toISOString())
    this.cutOff = false
    this.peerFenced = false
    this.sendReqnodes(name, 5)
    this.checkCommUp()
    this.sendPingCount()
  }

  /** Heartbeat asks a node that joins for its node list; a real peer answers, and so do we. */
  private sendReqnodes(name: string, tries: number): void {
    clearTimeout(this.reqnodesTimer)
    if (tries === 0 || !this.peerAlive()) return
    this.send(new Message().add('t', 'reqnodes').add('dest', name))
    this.reqnodesTimer = setTimeout(() => this.sendReqnodes(name, tries - 1), REQNODES_RETRY_MS)
  }

  private peerDead(p: Peer): void {
    const { name } = p
    if (this.departed.get(name) === p.generation) this.recorder.nodeLeft(name)
    else this.recorder.nodeDead(name, p.lastHeard === 0 ? undefined : performance.now() - p.lastHeard, p.deadtime ?? this.cfg.deadtime)
    this.upSince.delete(name)
    this.wire?.forget(name)
    this.peerPings = undefined
    if (!this.commUp) return this.checkCommUp()
    void this.afterDeath()
  }

  /**
   * With ping nodes, a death is acted on once we know whether we still reach the world (ipfail's rule);
   * with fencing, once the peer is fenced.
   */
  private async afterDeath(): Promise<void> {
    if (this.pings.configured && !(await this.pings.fresh())) return this.isolate()
    if (this.peerAlive() || this.cutOff) return
    if (!(await this.fenceDeadPeer())) return
    if (!this.peerAlive() && !this.cutOff) this.negotiation.peerDead(this.peerFenced)
  }

  /**
   * Heartbeat's rule: a dead peer that had not said it holds nothing is fenced before anything it held is
   * taken. In a two-node race (every link cut, both alive) each sees the other dead: the node that serves
   * fences at once, a node that serves nothing first lets it (the fence delay) unless the device says the
   * peer's power is off; a tie goes to the first node of ha.cf. False when the peer came back meanwhile.
   */
  private fenceDeadPeer(): Promise<boolean> {
    const fencing = this.opts.fencing
    if (!fencing || this.peerFenced) return Promise.resolve(true)
    if (!this.negotiation.peerNeedsFence()) return Promise.resolve(true)
    this.fencingPeer ??= (async () => {
      const wanted = () => !this.peerAlive() && this.stopping === undefined
      if (!this.servesFirst()) {
        if (await fencing.poweredOff(this.peer)) return true
        // the peer finds us dead only after the deadtime of our last status it heard (longer while we are
        // young, and we may have grown up since the links went): its turn to fence starts then, and the
        // delay counts from it
        const theirs = this.membership.peers.get(this.peer)?.deadtime ?? this.cfg.deadtime
        const ours = Math.max(this.advertisedDeadtime, this.deadtimeWhenHeard)
        const wait = fencing.delay + Math.max(0, ours - theirs)
        this.opts.log.warn(`${this.peer} is dead and this node serves less: it lets ${this.peer} fence first for ${wait} ms (two-node race), then fences it`)
        await sleep(wait, undefined, { ref: false })
      }
      return wanted() && (await fencing.fence(this.peer, wanted))
    })().then((ok) => {
      this.fencingPeer = undefined
      if (ok && !this.peerAlive()) this.peerFenced = true
      return this.peerFenced
    })
    return this.fencingPeer
  }

  /** Who fences at once in a race: the node that serves; when both or neither do, the first in ha.cf. */
  private servesFirst(): boolean {
    // what we hold, not the settled word: a node still negotiating (at boot: 'transition') holds nothing
    const we = this.negotiation.holdsAny()
    const they = this.negotiation.peerServes()
    return we === they ? this.cfg.nodes[0] === this.cfg.node : we
  }

  private isolate(): void {
    if (this.cutOff || this.peerAlive()) return
    this.cutOff = true
    this.negotiation.isolated()
  }

  /**
   * While the peer is dead, losing every ping node means we are cut off; reaching one again, we take over.
   * While it lives, it is told how many we reach, and the worse connected node hands over.
   */
  private pingsChanged(): void {
    if (!this.commUp) return
    if (this.peerAlive()) {
      this.sendPingCount()
      return this.comparePings()
    }
    if (!this.pings.reachable()) return this.isolate()
    if (!this.cutOff) return
    this.cutOff = false
    this.opts.log.info('a ping node answers again: taking over from the dead peer')
    void this.afterDeath()
  }

  /** ipfail's message: how many ping nodes we reach, once ours have had their time to answer. */
  private sendPingCount(): void {
    if (!this.pings.settled || !this.peerAlive()) return
    this.send(new Message().add('t', 'num_ping_nodes').add('dest', this.peer).addNum('num_ping', this.pings.count()))
  }

  /** ipfail's rule: with both nodes up, the one that reaches fewer ping nodes gives the peer everything. */
  private comparePings(): void {
    clearTimeout(this.pingRetry)
    const ours = this.pings.count()
    const theirs = this.peerPings
    if (!this.pings.settled || theirs === undefined || ours >= theirs || !this.peerAlive()) return
    if (this.negotiation.resourceState() === 'none') return
    const why = this.negotiation.requestStandby('all', true, `ipfail's rule: this node reaches ${ours} ping node(s), ${this.peer} reaches ${theirs}`)
    // in a transition: ask again once it has settled, as long as we are still the worse connected
    if (why) this.pingRetry = setTimeout(() => this.comparePings(), 1000)
    else this.opts.log.warn(`this node reaches ${ours} ping node(s), ${this.peer} reaches ${theirs}: giving it everything (as ipfail)`)
  }

  /**
   * Communication is up once every peer has been heard from or declared dead (after initdead). A peer never
   * heard from is fenced first: it may be running everything behind a cut link.
   */
  private checkCommUp(): void {
    if (this.commUp) return
    const peer = this.membership.peers.get(this.peer)
    if (peer && peer.state === 'init') return
    const alive = this.peerAlive()
    if (!alive && this.opts.fencing && !this.peerFenced && this.negotiation.peerNeedsFence()) {
      void this.fenceDeadPeer().then((fenced) => fenced && this.checkCommUp())
      return
    }
    this.commUp = true
    void this.respawn.start()
    this.recovery.monitor()
    this.opts.log.info(alive ? 'communication with the peer is up: negotiating resources' : `node ${this.peer || '(none)'} is not up: starting alone`)
    this.negotiation.commUp(alive)
  }

  // ---- resources

  /** Runs the groups of one side; false when one of them failed (to start, or to stop cleanly). */
  private async runGroups(side: 'local' | 'foreign' | 'everything', how: 'take' | 'give'): Promise<boolean> {
    const groups = this.groupsOf(side)
    // groups start in haresources order and stop in reverse, as ResourceManager does
    if (how === 'take' && side !== 'everything') this.recorder.groupsTaken(side)
    let ok = true
    for (const g of how === 'take' ? groups : [...groups].reverse()) {
      if (!(await (how === 'take' ? this.rm.takeGroup(g.resources) : this.rm.giveGroup(g.resources)))) ok = false
    }
    return ok
  }

  private groupsOf(side: 'local' | 'foreign' | 'everything'): EngineConfig['groups'] {
    return this.cfg.groups.filter((g) => side === 'everything' || (side === 'local') === (g.owner === this.cfg.node))
  }

  // ---- commands

  private async handle(r: Request): Promise<Answer> {
    // the socket takes any JSON and the FIFO any text: a request of the wrong shape is refused, never half done
    if ((r.op === 'standby' || r.op === 'takeover') && !RESOURCE_SETS.includes(r.set)) {
      return { ok: false, error: `${r.op} ${JSON.stringify(r.set)}: say all, local or foreign` }
    }
    switch (r.op) {
      case 'status':
        return { ok: true, status: this.status() }
      case 'standby': {
        const why = this.negotiation.requestStandby(r.set, this.peerAlive(), askedBy(r.by))
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
      case 'outdate':
        return this.outdater.request(r)
      case 'recover':
        return this.recovery.recover(r.resource, askedBy(r.by))
      case 'restart':
        return this.recovery.restart(r.resource)
      case 'cleanup':
        return this.recovery.cleanup(r.resource ?? undefined)
      case 'peer-files':
        return this.fileExchange ? this.fileExchange.request(r) : { ok: false, error: 'this engine was started without its cluster files' }
    }
    return { ok: false, error: `unknown request ${JSON.stringify((r as { op?: unknown }).op)}: halo-heartbeat does status, standby, takeover, reload, shutdown, outdate, recover, restart, cleanup, peer-files` }
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
    this.cfg = { ...this.cfg, auth: next.auth, recovery: next.recovery }
    this.recovery.configure(next.recovery)
    this.hooks.scan()
    const use = next.auth.use
    this.opts.log.info(`configuration re-read: signing with key ${use.index} (${use.method})`)
    for (const w of crcWarnings('authkeys', next.auth)) this.opts.log.warn(w)
    if (later.length > 0) this.opts.log.warn(`changes to ${later.join(', ')} take effect when halo-heartbeat restarts`)
    return { ok: true, message: `configuration re-read${later.length > 0 ? `; restart halo-heartbeat to apply the changes to ${later.join(', ')}` : ''}` }
  }

  status(): EngineStatus {
    const nodes: EngineStatus['nodes'] = this.cfg.nodes.map((name) => {
      const p = this.membership.peers.get(name)
      const links = name === this.cfg.node ? this.cfg.media.map((m) => ({ iface: m.iface, status: 'up' as const })) : [...(p?.links ?? [])].map(([iface, l]) => ({ iface, status: l.up ? ('up' as const) : ('dead' as const) }))
      const generation = name === this.cfg.node ? this.generation : p?.generation || undefined
      return { name, type: 'normal' as const, status: name === this.cfg.node ? 'active' : (p?.state ?? 'dead'), links, generation, since: this.upSince.get(name) }
    })
    for (const p of this.pings.nodes) {
      const status = p.alive ? ('up' as const) : ('dead' as const)
      nodes.push({ name: p.name, type: 'ping' as const, status: p.alive ? 'ping' : 'dead', links: [{ iface: p.name, status }] })
    }
    return { version: VERSION, node: this.cfg.node, nodes, drops: { ...this.wire?.counters }, resources: this.negotiation.resourceState(), parameters: this.cfg.parameters, pid: process.pid, fencing: this.opts.fencing?.status(), failures: this.recovery.status() }
  }

  /** What /metrics and the status page show: the status, the groups as held here, the counters (halo-mon and DRBD are the probes'). */
  view(): ClusterView {
    const s = this.status()
    const held = s.resources
    const holds = (owner: string) => held === 'all' || (held === 'local' && owner === s.node) || (held === 'foreign' && owner !== s.node)
    const t = this.tally
    return {
      version: s.version,
      node: s.node,
      at: new Date().toISOString(),
      nodes: s.nodes.map((n) => ({ ...n, generation: this.membership.peers.get(n.name)?.generation || undefined })),
      resources: held,
      groups: this.cfg.groups.map((g) => ({ owner: g.owner, held: holds(g.owner), resources: g.resources.map((r) => ({ id: resourceId(r), agent: r.script })) })),
      stonith: (s.fencing?.devices.length ?? 0) > 0,
      counters: { deaths: t.deaths, falseDeaths: t.falseDeaths, fences: { ...t.fences }, failovers: t.failovers, failoverSeconds: t.failoverSeconds, buckets: [...t.buckets] },
      failovers: t.lastFailovers(),
    }
  }

  /** What Heartbeat's own hb_standby and hb_takeover scripts wrote into its FIFO. */
  private fromFifo(msg: Message): void {
    let type: string | undefined
    let set: ResourceSet
    let info: string | undefined
    try {
      type = msg.get('t')
      set = (msg.get('rsc_hold') ?? 'all') as ResourceSet
      info = msg.get('info')
    } catch (e) {
      // a binary field where text belongs (`(1)t=…`) is the writer's mistake, not the engine's end
      return this.opts.log.warn(`${this.opts.fifo}: message ignored: ${errorMessage(e)}`)
    }
    const by = `a script through Heartbeat's FIFO ${this.opts.fifo} (Heartbeat's own hb_standby, or a script)`
    if (type === 'ask_resources' && info === 'me') void this.handle({ op: 'standby', set, by }).then((a) => !a.ok && this.opts.log.warn(a.error))
    else if (type === 'hb_takeover') void this.handle({ op: 'takeover', set }).then((a) => !a.ok && this.opts.log.warn(a.error))
    else this.opts.log.warn(`${this.opts.fifo}: message t=${type} ignored (halo acts on ask_resources and hb_takeover)`)
  }

  /** Leaves the cluster cleanly: hand over, say shutdone, close everything. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.opts.log.info('shutdown requested: giving up resources')
      const t0 = performance.now()
      this.recovery.stop()
      await this.negotiation.shutdown()
      await this.respawn.stop()
      this.opts.log.info(`resources given up in ${Math.round(performance.now() - t0)} ms; leaving the cluster`)
      // the peer takes over on the shutdone: close the sockets once it has left them (bounded)
      await Promise.race([this.wire?.flushed(), sleep(SEND_FLUSH_MS, undefined, { ref: false })])
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
    this.recovery.stop()
    this.warm.close()
    clearTimeout(this.pingRetry)
    const media = this.wire?.close()
    this.control?.close()
    this.metricsServer?.close()
    this.metricsServer?.closeAllConnections()
    this.fifo?.destroy()
    this.watchdog?.close()
    this.opts.fencing?.close()
    this.recorder.engineStop()
    this.opts.history?.close()
    void Promise.resolve(media).finally(() => this.finish())
  }
}

/** Who asked for a standby, as the asker said (hb_standby says who ran it): one printable line, bounded. */
function askedBy(by: unknown): string {
  if (typeof by !== 'string' || by.trim() === '') return 'a request on the control socket'
  return by.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, 300)
}

/** A resource as haresources writes it: script::arg::arg */
const resourceId = (r: { script: string; args: readonly string[] }) => [r.script, ...r.args].join('::')
