/**
 * The heartbeat media of ha.cf (bcast, ucast, mcast) as UDP sockets. Every message goes out on every
 * medium, so a second path keeps the cluster whole when the first fails; what comes in is attributed to
 * the medium (the link, by interface name as cl_status shows it) it arrived on.
 * Heartbeat binds each medium to its device; Node cannot, so two checks take its place. The kernel drops
 * what comes to a heartbeat port through another interface or from a source it would not route back
 * there (media-guard.ts). And a datagram counts only when its source fits a medium: the configured peer
 * of a ucast line, an address on the network of a bcast or mcast interface; anything else is a stray
 * (counted and dropped by the exchange), never attributed to a link.
 */
import { createSocket, type Socket } from 'node:dgram'
import { EventEmitter } from 'node:events'
import { HaloError } from '../lib/errors.ts'
import { formatIP, inNetwork, parseIP, broadcastOf } from '../lib/net.ts'
import { addresses, type Assigned } from '../lib/netif.ts'
import type { Medium } from './config/hacf-media.ts'
import { type Guard, installGuard } from './media-guard.ts'

const LINK_DOWN = new Set(['ENETUNREACH', 'ENETDOWN', 'EHOSTUNREACH'])

export interface Arrival {
  data: Buffer
  from: string
  /** the interface of the medium it came in on */
  link: string
}

/** The first IPv4 address of an interface; a clear error when it has none. */
async function ifaceAddress(iface: string): Promise<Assigned> {
  const found = (await addresses(4).catch(() => [])).find((a) => a.nic === iface)
  if (!found) throw new HaloError(6, `heartbeat medium on ${iface}: the interface does not exist or has no IPv4 address`)
  return found
}

/** Whether `from` (a dotted IPv4 address) is on the interface's network. */
const onNetwork = (from: string, local: Assigned) => {
  const ip = parseIP(from)
  return ip !== undefined && inNetwork(ip, local.ip, local.prefix)
}

interface Route {
  medium: Medium
  local: Assigned
  /** where this medium sends to, and through which socket (mcast: the one joined on its interface) */
  to: string
  socket: Socket
  /** the error code of the last send, while sends fail */
  failing?: string
}

export class Media extends EventEmitter<{ arrival: [Arrival]; stray: [string]; error: [Error] }> {
  private readonly sockets: Socket[] = []
  private readonly routes: Route[] = []
  private sender!: Socket
  private guard?: Guard
  /** why the kernel-side guard could not be installed (media-guard.ts), if it could not */
  unguarded?: string

  static async open(media: readonly Medium[]): Promise<Media> {
    const m = new Media()
    try {
      await m.bind(media)
      const ports = new Map<number, string[]>()
      for (const medium of media) ports.set(medium.port, [...(ports.get(medium.port) ?? []), medium.iface])
      const guard = await installGuard(ports)
      if (typeof guard === 'string') m.unguarded = guard
      else m.guard = guard
    } catch (e) {
      m.close()
      throw e
    }
    return m
  }

  private async bind(media: readonly Medium[]): Promise<void> {
    this.sender = await this.socket(0, (s) => s.setBroadcast(true))
    const listening = new Map<string, Socket>()
    for (const medium of media) {
      const local = await ifaceAddress(medium.iface)
      const key = medium.kind === 'mcast' ? `${medium.group}:${medium.port}` : `*:${medium.port}`
      let listener = listening.get(key)
      if (!listener) {
        listener = await this.socket(medium.port, (s) => {
          if (medium.kind !== 'mcast') return s.setBroadcast(true)
          s.addMembership(medium.group, formatIP(local.ip))
          s.setMulticastInterface(formatIP(local.ip))
          s.setMulticastTTL(medium.ttl)
          s.setMulticastLoopback(medium.loop)
        })
        listening.set(key, listener)
      }
      const address = formatIP(local.ip)
      const to = medium.kind === 'bcast' ? formatIP(broadcastOf(local.ip, local.prefix) ?? local.ip) : medium.kind === 'ucast' ? medium.peer : medium.group
      const socket = medium.kind === 'mcast' ? listener : this.sender
      // a ucast line naming this node's own address is the copy of a shared ha.cf: nothing to send
      if (medium.kind !== 'ucast' || medium.peer !== address) this.routes.push({ medium, local, to, socket })
    }
  }

  private socket(port: number, setup: (s: Socket) => void): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = createSocket({ type: 'udp4', reuseAddr: true })
      s.once('error', reject)
      s.bind(port, () => {
        s.off('error', reject)
        s.on('error', (e) => this.emit('error', e))
        setup(s)
        if (port !== 0) s.on('message', (data, rinfo) => this.arrive(data, rinfo.address))
        this.sockets.push(s)
        resolve(s)
      })
    })
  }

  private arrive(data: Buffer, from: string): void {
    const route =
      this.routes.find((r) => r.medium.kind === 'ucast' && r.to === from) ??
      this.routes.find((r) => r.medium.kind !== 'ucast' && onNetwork(from, r.local))
    // our own broadcasts come back to us: not a stray, and nothing to attribute either
    if (!route && this.routes.some((r) => formatIP(r.local.ip) === from)) return
    if (!route) return void this.emit('stray', from)
    this.emit('arrival', { data, from, link: route.medium.iface })
  }

  /** Sends one message on every medium; resolves once every socket has handed it to the kernel. */
  send(data: Buffer): Promise<void> {
    const sentOn = (r: Route) =>
      new Promise<void>((resolve) =>
        r.socket.send(data, r.medium.port, r.to, (e) => {
          // a link that is down shows as dead in membership (cl_status hblinkstatus): not an error each
          // keepalive; another failure (a firewall's EPERM) is said once, until a send goes through again
          const code = (e as NodeJS.ErrnoException | null)?.code
          if (e && !LINK_DOWN.has(code ?? '') && r.failing !== code) this.emit('error', e)
          r.failing = e ? code : undefined
          resolve()
        }),
      )
    return Promise.all(this.routes.map(sentOn)).then(() => undefined)
  }

  /** The links (interfaces) this node sends on, in ha.cf order. */
  links(): string[] {
    return [...new Set(this.routes.map((r) => r.medium.iface))]
  }

  /** Closes the sockets; resolves once the guard is removed too. */
  close(): Promise<void> {
    for (const s of this.sockets.splice(0)) s.close()
    const guard = this.guard
    this.guard = undefined
    return guard?.remove() ?? Promise.resolve()
  }
}
