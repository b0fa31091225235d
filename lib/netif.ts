/**
 * Network interfaces as this host has them: link state, the addresses configured on them, and the
 * connected routes that say which interface serves a network. What can be read without running a command
 * is (/sys, /proc/net/if_inet6, getifaddrs): an agent's monitor runs every few seconds for years.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { runOk } from './exec.ts'
import { bitsOf, formatIP, inNetwork, parseIP, sameIP, type Family, type IP } from './net.ts'

/** What the kernel takes as an interface name (IFNAMSIZ 16 with the NUL; no slash, no blank, no colon). */
export const isInterfaceName = (text: string): boolean => /^[^\s/:]{1,15}$/.test(text) && text !== '.' && text !== '..'

export interface Link {
  name: string
  /** IFF_UP: the admin has set it up (`ip link set NIC up`) */
  up: boolean
  /** the driver sees a link: cable in, switch port or veth peer up */
  carrier: boolean
  loopback: boolean
  /** IFF_NOARP: no neighbour discovery on this link (tun, some point-to-point links) */
  noarp: boolean
}

const IFF_UP = 0x1
const IFF_LOOPBACK = 0x8
const IFF_NOARP = 0x80

/** The link state of an interface, or undefined when it does not exist (in this network namespace). */
export function linkOf(name: string): Link | undefined {
  if (!isInterfaceName(name)) return undefined
  let flags: number
  try {
    flags = Number.parseInt(readFileSync(`/sys/class/net/${name}/flags`, 'utf8'), 16)
  } catch {
    return undefined
  }
  let carrier = false
  try {
    carrier = readFileSync(`/sys/class/net/${name}/carrier`, 'utf8').trim() === '1'
  } catch {
    // EINVAL while the interface is down: no carrier to speak of
  }
  return { name, up: (flags & IFF_UP) !== 0, carrier, loopback: (flags & IFF_LOOPBACK) !== 0, noarp: (flags & IFF_NOARP) !== 0 }
}

/** An address configured on an interface. */
export interface Assigned {
  ip: IP
  prefix: number
  nic: string
  /** the IPv4 label (`eth0:vip`) when it is not just the interface name */
  label?: string
  /** IPv6 duplicate address detection still running: the address cannot be used yet */
  tentative: boolean
  /** IPv6 duplicate address detection found another host with this address */
  dadFailed: boolean
}

const IFA_F_DADFAILED = 0x08
const IFA_F_TENTATIVE = 0x40

/** /proc/net/if_inet6: `address ifindex prefix scope flags name`, all hex but the name. */
export function parseIfInet6(text: string): Assigned[] {
  const out: Assigned[] = []
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length !== 6 || !/^[0-9a-f]{32}$/.test(f[0])) continue
    const flags = Number.parseInt(f[4], 16)
    out.push({
      ip: { family: 6, value: BigInt(`0x${f[0]}`) },
      prefix: Number.parseInt(f[2], 16),
      nic: f[5],
      tentative: (flags & IFA_F_TENTATIVE) !== 0,
      dadFailed: (flags & IFA_F_DADFAILED) !== 0,
    })
  }
  return out
}

interface IpAddrJson {
  ifname: string
  addr_info?: { local?: string; prefixlen?: number; label?: string; tentative?: boolean; dadfailed?: boolean }[]
}

/** `ip -j addr show` output. */
export function parseIpAddr(json: string): Assigned[] {
  return (JSON.parse(json) as IpAddrJson[]).flatMap((link) =>
    (link.addr_info ?? []).flatMap((a) => {
      const ip = a.local === undefined ? undefined : parseIP(a.local)
      if (!ip || a.prefixlen === undefined) return []
      const label = a.label && a.label !== link.ifname ? a.label : undefined
      return [{ ip, prefix: a.prefixlen, nic: link.ifname, label, tentative: a.tentative === true, dadFailed: a.dadfailed === true }]
    }),
  )
}

/** Every IPv6 address of this host, whatever the state of its link. Read from /proc: no command runs. */
export function ipv6Addresses(): Assigned[] {
  try {
    return parseIfInet6(readFileSync('/proc/net/if_inet6', 'utf8'))
  } catch {
    return [] // IPv6 disabled in this kernel
  }
}

/** Every address of a family, whatever the state of its link: `ip -j addr show`. */
export async function addresses(family: Family, timeout?: number): Promise<Assigned[]> {
  if (family === 6) return ipv6Addresses()
  return parseIpAddr(await runOk(['ip', '-j', '-4', 'addr', 'show'], { timeout }))
}

/**
 * IPv4 addresses on links that are up and have carrier, from getifaddrs (libuv leaves out interfaces
 * that are not IFF_UP and IFF_RUNNING), without running a command. Labels come back as the interface name.
 */
function runningIPv4(): Assigned[] {
  return Object.entries(networkInterfaces()).flatMap(([name, list]) =>
    (list ?? []).flatMap((a) => {
      const ip = a.family === 'IPv4' ? parseIP(a.address) : undefined
      const prefix = Number(a.cidr?.split('/')[1])
      if (!ip || !Number.isInteger(prefix)) return []
      const nic = name.split(':')[0]
      return [{ ip, prefix, nic, label: nic === name ? undefined : name, tentative: false, dadFailed: false }]
    }),
  )
}

/** When every link is up with carrier, getifaddrs has left none out. */
function allLinksRunning(): boolean {
  return readdirSync('/sys/class/net').every((name) => {
    const link = linkOf(name)
    return link === undefined || (link.up && link.carrier) // gone since the listing: nothing left out
  })
}

/** The interfaces holding `ip` that can be known without running a command: IPv6 on any link, IPv4 on running links. */
export function localHolders(ip: IP): Assigned[] {
  return (ip.family === 6 ? ipv6Addresses() : runningIPv4()).filter((a) => sameIP(a.ip, ip))
}

/**
 * The interfaces where `ip` is configured. `quick`: answer without running a command when that is enough
 * (the address is on a running link, or every link is running); otherwise look everywhere.
 */
export async function holdersOf(ip: IP, opts: { quick?: boolean; timeout?: number } = {}): Promise<Assigned[]> {
  if (opts.quick) {
    const local = localHolders(ip)
    if (local.length > 0 || ip.family === 6 || allLinksRunning()) return local
  }
  return (await addresses(ip.family, opts.timeout)).filter((a) => sameIP(a.ip, ip))
}

/** A connected network: reachable on `dev` without a gateway. */
export interface Route {
  net: IP
  prefix: number
  dev: string
}

interface IpRouteJson {
  dst?: string
  dev?: string
  gateway?: string
  via?: unknown
}

/** `ip -j route list` output, keeping the connected routes (no gateway, a device, not the default route). */
export function parseRoutes(json: string): Route[] {
  return (JSON.parse(json) as IpRouteJson[]).flatMap((r) => {
    if (!r.dst || !r.dev || r.gateway || r.via) return []
    const [addr, bits] = r.dst.split('/')
    const net = parseIP(addr)
    if (!net) return [] // default, or a route type with no address
    return [{ net, prefix: bits === undefined ? bitsOf(net.family) : Number(bits), dev: r.dev }]
  })
}

/**
 * The most specific of the connected routes holding `ip` (longest prefix), one per interface: usually one;
 * several when the same network is on more than one interface; none when no interface's network holds it.
 */
export function bestRoutes(routes: readonly Route[], ip: IP): Route[] {
  const holding = routes.filter((r) => inNetwork(ip, r.net, r.prefix))
  const longest = Math.max(-1, ...holding.map((r) => r.prefix))
  const best = holding.filter((r) => r.prefix === longest)
  return best.filter((r, i) => best.findIndex((o) => o.dev === r.dev) === i)
}

/** The connected routes of the main table that hold `ip` (`ip route list match`). */
export async function routesTo(ip: IP, timeout?: number): Promise<Route[]> {
  const out = await runOk(['ip', '-j', ip.family === 4 ? '-4' : '-6', 'route', 'list', 'match', formatIP(ip)], { timeout })
  return parseRoutes(out).filter((r) => inNetwork(ip, r.net, r.prefix))
}
