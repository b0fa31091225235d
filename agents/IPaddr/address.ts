/**
 * The virtual address as the admin asked for it (parameters checked, nothing looked up), and where it goes
 * on this host: the interface and prefix given, or those of the connected network that holds the address.
 */
import { HaloError } from '../../lib/errors.ts'
import { broadcastOf, formatIP, isLinkLocal, isLoopback, isMulticast, networkOf, parseIP, parsePrefix, type IP } from '../../lib/net.ts'
import { addresses, bestRoutes, isInterfaceName, linkOf, routesTo, type Assigned, type Route } from '../../lib/netif.ts'
import { OCF } from '../../lib/ocf/codes.ts'

export interface VirtualIP {
  ip: IP
  /** canonical text, as `ip addr` prints it */
  text: string
  nic?: string
  prefix?: number
  /** IPv4: the address, none (`-`), or computed from the prefix (unset or `+`) */
  broadcast?: IP | 'none'
  /** the whole IPv4 label, `eth0:vip` */
  label?: string
}

export interface RawAddress {
  ip: string
  nic?: string
  cidr_netmask?: string
  broadcast?: string
  iflabel?: string
}

const bad = (name: string, why: string) => new HaloError(OCF.ERR_CONFIGURED, `parameter ${name}: ${why}`)

/** Checks the address parameters; throws HaloError(6) naming the parameter. Looks nothing up. */
export function virtualIP(p: RawAddress): VirtualIP {
  const ip = parseIP(p.ip)
  if (!ip) throw bad('ip', `"${p.ip}" is not an IPv4 or IPv6 address`)
  if (ip.value === 0n || isMulticast(ip)) throw bad('ip', `"${p.ip}" cannot be an interface address`)
  const text = formatIP(ip)
  const v4 = ip.family === 4

  // IPaddr2 also takes the label in nic, as `eth0:vip`
  const [nic, nicLabel, ...rest] = p.nic?.split(':') ?? []
  if (p.nic !== undefined && (rest.length > 0 || !isInterfaceName(nic))) throw bad('nic', `"${p.nic}" is not an interface name`)
  if (isLinkLocal(ip) && nic === undefined) throw bad('nic', `required for the link-local address ${text}`)

  let prefix: number | undefined
  if (p.cidr_netmask !== undefined) {
    prefix = parsePrefix(p.cidr_netmask, ip.family)
    if (prefix === undefined || prefix === 0) {
      const forms = v4 ? 'a prefix length (1-32) or a netmask (255.255.255.0)' : 'a prefix length (1-128)'
      throw bad('cidr_netmask', `"${p.cidr_netmask}" is not ${forms}`)
    }
  }

  let broadcast: VirtualIP['broadcast']
  if (p.broadcast !== undefined && p.broadcast !== '+') {
    if (!v4) throw bad('broadcast', `IPv6 has no broadcast address (ip is ${text})`)
    const brd = p.broadcast === '-' ? 'none' : parseIP(p.broadcast)
    if (brd === undefined || (brd !== 'none' && brd.family !== 4)) throw bad('broadcast', `"${p.broadcast}" is not an IPv4 address, + or -`)
    broadcast = brd
  }

  const labelPart = p.iflabel ?? nicLabel
  let label: string | undefined
  if (labelPart !== undefined) {
    if (!v4) throw bad('iflabel', `labels are for IPv4 addresses only (ip is ${text})`)
    if (nic === undefined) throw bad('iflabel', 'needs nic (the label is NIC:LABEL)')
    label = `${nic}:${labelPart}`
    if (!/^[^\s/:]+$/.test(labelPart) || label.length > 15) throw bad('iflabel', `"${label}" is not a label of at most 15 characters without blanks, / or :`)
  }
  return { ip, text, nic, prefix, broadcast, label }
}

/** Where the address goes on this host: an interface that exists, a prefix and the broadcast to set. */
export interface Placement {
  nic: string
  prefix: number
  broadcast?: IP
}

/** Finds the interface and prefix the admin left out from the connected routes; 6 when nothing fits. */
export async function place(vip: VirtualIP, timeout: number): Promise<Placement> {
  if (vip.nic !== undefined && !linkOf(vip.nic)) throw bad('nic', `there is no interface ${vip.nic} on this host`)
  let { nic, prefix } = vip
  if (nic === undefined || prefix === undefined) {
    const onNic = (r: Route) => nic === undefined || r.dev === nic
    let best = bestRoutes((await routesTo(vip.ip, timeout)).filter(onNic), vip.ip)
    // a link that is down has lost its connected routes, but not its addresses: their networks say the same
    if (best.length === 0) best = bestRoutes((await addresses(vip.ip.family, timeout)).map(networkOfAssigned).filter(onNic), vip.ip)
    if (best.length === 0) {
      throw new HaloError(
        OCF.ERR_CONFIGURED,
        nic === undefined
          ? `ip ${vip.text} matches no interface: no interface is on a network holding it (give nic and cidr_netmask, or give an interface an address on that network)`
          : `ip ${vip.text} is on no network of ${nic}: give cidr_netmask`,
      )
    }
    if (best.length > 1) throw bad('nic', `not given, and ${vip.text} is on the network of ${best.map((r) => r.dev).join(', ')}: say which`)
    nic ??= best[0].dev
    prefix ??= best[0].prefix
  }
  const broadcast = vip.broadcast === 'none' ? undefined : (vip.broadcast ?? broadcastOf(vip.ip, prefix))
  return { nic, prefix, broadcast }
}

const networkOfAssigned = (a: Assigned): Route => ({ net: networkOf(a.ip, a.prefix), prefix: a.prefix, dev: a.nic })

/** Of the interfaces holding the address, those that are this resource's: its nic, or any but loopback. */
export function ours(vip: VirtualIP, holders: readonly Assigned[]): Assigned[] {
  return holders.filter((a) => (vip.nic !== undefined ? a.nic === vip.nic : a.nic !== 'lo' || isLoopback(vip.ip)))
}
