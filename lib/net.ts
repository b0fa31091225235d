/**
 * IP addresses as values: parsing (however the admin wrote them), the canonical text (RFC 5952 for IPv6,
 * the form `ip` prints), and prefix maths (netmask, network, broadcast). Addresses are compared as numbers,
 * never as strings: `2001:DB8:0::5` and `2001:db8::5` are the same address. Pure: no system access here
 * (what the system has configured is in lib/netif.ts).
 */

export type Family = 4 | 6

export interface IP {
  family: Family
  /** the address as an unsigned 32- or 128-bit number */
  value: bigint
}

export const bitsOf = (family: Family): number => (family === 4 ? 32 : 128)

const octet = /^(0|[1-9]\d{0,2})$/

/**
 * Leading zeros are refused: inet_aton reads `010` as octal 8, other tools as decimal 10, so an address
 * written that way means different things to different programs.
 */
function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((p) => octet.test(p) && Number(p) <= 255)) return undefined
  return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n)
}

/** Dotted-quad IPv4 as inet_pton reads it (node:net's isIPv4 agrees): what ha.cf's mcast and mon's tcp monitor take. */
export const isIPv4 = (text: string): boolean => parseIPv4(text) !== undefined

const group = /^[0-9a-f]{1,4}$/i

function parseGroups(text: string): bigint[] | undefined {
  if (text === '') return []
  const parts = text.split(':')
  const out: bigint[] = []
  for (const [i, p] of parts.entries()) {
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIPv4(p)
      if (v4 === undefined) return undefined
      out.push(v4 >> 16n, v4 & 0xffffn)
    } else if (group.test(p)) {
      out.push(BigInt(`0x${p}`))
    } else {
      return undefined
    }
  }
  return out
}

/** RFC 4291 text: eight groups, or fewer around one `::`, the last 32 bits optionally dotted. No zone (%eth0). */
function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = parseGroups(halves[0])
  const tail = halves.length === 2 ? parseGroups(halves[1]) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  return [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail].reduce((n, g) => (n << 16n) | g, 0n)
}

/** An IPv4 or IPv6 address, or undefined when `text` is neither. */
export function parseIP(text: string): IP | undefined {
  const t = text.trim()
  if (t.includes(':')) {
    const value = parseIPv6(t)
    return value === undefined ? undefined : { family: 6, value }
  }
  const value = parseIPv4(t)
  return value === undefined ? undefined : { family: 4, value }
}

function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.')
}

/** RFC 5952: lower case, no leading zeros, the longest run (first if tied) of two or more zero groups as `::`. */
function formatIPv6(v: bigint): string {
  if (v >> 32n === 0xffffn) return `::ffff:${formatIPv4(v & 0xffffffffn)}` // IPv4-mapped, as ip(8) prints it
  const groups = Array.from({ length: 8 }, (_, i) => (v >> BigInt(112 - 16 * i)) & 0xffffn)
  let best = { at: -1, len: 1 }
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === 0n) j++
    if (j - i > best.len) best = { at: i, len: j - i }
    i = j === i ? i + 1 : j
  }
  const hex = (gs: bigint[]) => gs.map((g) => g.toString(16)).join(':')
  if (best.at < 0) return hex(groups)
  return `${hex(groups.slice(0, best.at))}::${hex(groups.slice(best.at + best.len))}`
}

/** The canonical text: what `ip addr` prints for this address. */
export function formatIP(ip: IP): string {
  return ip.family === 4 ? formatIPv4(ip.value) : formatIPv6(ip.value)
}

export const sameIP = (a: IP, b: IP): boolean => a.family === b.family && a.value === b.value

/** the netmask of a prefix length, as a number */
export function maskOf(family: Family, prefix: number): bigint {
  const bits = BigInt(bitsOf(family))
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n)
}

/**
 * A prefix length written as bits (`24`, `64`) or, for IPv4, as a dotted netmask (`255.255.255.0`, which
 * must be contiguous). Undefined when it is neither.
 */
export function parsePrefix(text: string, family: Family): number | undefined {
  const t = text.trim()
  if (/^\d{1,3}$/.test(t)) return Number(t) <= bitsOf(family) ? Number(t) : undefined
  const mask = family === 4 ? parseIPv4(t) : undefined
  if (mask === undefined) return undefined
  const prefix = mask.toString(2).replace(/0+$/, '').length
  return mask === maskOf(4, prefix) ? prefix : undefined
}

export const networkOf = (ip: IP, prefix: number): IP => ({ family: ip.family, value: ip.value & maskOf(ip.family, prefix) })

/** Whether `ip` lies in the network `net/prefix`. */
export const inNetwork = (ip: IP, net: IP, prefix: number): boolean =>
  ip.family === net.family && (ip.value & maskOf(ip.family, prefix)) === (net.value & maskOf(net.family, prefix))

/** The IPv4 broadcast address of ip/prefix; none for IPv6, /31 (RFC 3021 point-to-point) and /32. */
export function broadcastOf(ip: IP, prefix: number): IP | undefined {
  if (ip.family !== 4 || prefix > 30) return undefined
  return { family: 4, value: ip.value | (maskOf(4, prefix) ^ 0xffffffffn) }
}

/** fe80::/10: usable only together with an interface name */
export const isLinkLocal = (ip: IP): boolean => ip.family === 6 && ip.value >> 118n === 0x3fan

/** 127.0.0.0/8 and ::1 */
export const isLoopback = (ip: IP): boolean => (ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n)

/** 224.0.0.0/4 and ff00::/8 */
export const isMulticast = (ip: IP): boolean => (ip.family === 4 ? ip.value >> 28n === 0xen : ip.value >> 120n === 0xffn)
