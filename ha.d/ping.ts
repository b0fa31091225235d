/**
 * Ping nodes (ha.cf `ping HOST…`, `ping_group NAME HOST…`): pseudo-nodes that are alive while one of
 * their hosts answers ICMP echo within deadping. They tell a node cut off from the world from one that
 * merely lost its peer. Node has no raw sockets, so each host gets one long-lived `ping -n` whose reply
 * lines are its heartbeats; a ping that exits (no route while a link is down) is started again.
 */
import { EventEmitter } from 'node:events'
import { follow, type Followed } from '../lib/exec.ts'
import type { Logger } from '../lib/log.ts'

export interface PingNodeConfig {
  name: string
  hosts: readonly string[]
}

interface PingNode {
  name: string
  hosts: readonly string[]
  alive: boolean
  lastReply: number
  timer?: NodeJS.Timeout
}

export interface PingOptions {
  /** ms between echo requests (keepalive) */
  interval: number
  /** ms without a reply before a ping node is dead */
  deadping: number
  log: Logger
}

const REPLY = / bytes from /

export class PingNodes extends EventEmitter<{ change: []; reply: [] }> {
  readonly nodes: PingNode[]
  private readonly children = new Set<Followed>()
  private stopped = false
  private settleTimer?: NodeJS.Timeout
  /** every ping node has had deadping to answer since start: until then a count of 0 means nothing */
  settled = false

  constructor(
    config: readonly PingNodeConfig[],
    private readonly opts: PingOptions,
  ) {
    super()
    this.nodes = config.map((c) => ({ name: c.name, hosts: c.hosts, alive: false, lastReply: 0 }))
  }

  get configured(): boolean {
    return this.nodes.length > 0
  }

  /** Whether any ping node answers. */
  reachable(): boolean {
    return this.nodes.some((n) => n.alive)
  }

  /** How many ping nodes answer (ipfail's num_ping). */
  count(): number {
    return this.nodes.filter((n) => n.alive).length
  }

  start(): void {
    for (const node of this.nodes) for (const host of node.hosts) this.ping(node, host)
    this.settleTimer = setTimeout(() => {
      this.settled = true
      this.emit('change')
    }, this.opts.deadping)
  }

  private ping(node: PingNode, host: string): void {
    if (this.stopped) return
    const seconds = (this.opts.interval / 1000).toFixed(3)
    const child = follow(['ping', '-n', '-i', seconds, '--', host], (line) => REPLY.test(line) && this.replied(node))
    this.children.add(child)
    void child.exited.then((code) => {
      this.children.delete(child)
      if (this.stopped) return
      this.opts.log.debug(`ping ${host} exited (${code ?? 'cannot run ping'}); starting it again`)
      setTimeout(() => this.ping(node, host), Math.max(this.opts.interval, 1000))
    })
  }

  private replied(node: PingNode): void {
    node.lastReply = performance.now()
    clearTimeout(node.timer)
    node.timer = setTimeout(() => this.dead(node), this.opts.deadping)
    if (!node.alive) {
      node.alive = true
      this.opts.log.info(`ping node ${node.name} is up`)
      this.emit('change')
    }
    this.emit('reply')
  }

  private dead(node: PingNode): void {
    node.alive = false
    this.opts.log.warn(`ping node ${node.name} is dead (no echo reply for ${this.opts.deadping} ms)`)
    this.emit('change')
  }

  /**
   * Whether we still reach the world, as of now: true at the first reply after this call, false once no
   * ping node is alive. A reply from before the call proves nothing: the link may have died with the peer.
   */
  fresh(): Promise<boolean> {
    if (!this.reachable()) return Promise.resolve(false)
    return new Promise((resolve) => {
      const done = (answer: boolean) => {
        this.off('reply', onReply)
        this.off('change', onChange)
        resolve(answer)
      }
      const onReply = () => done(true)
      const onChange = () => !this.reachable() && done(false)
      this.on('reply', onReply)
      this.on('change', onChange)
    })
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.settleTimer)
    for (const n of this.nodes) clearTimeout(n.timer)
    for (const c of this.children) c.stop()
  }
}
