/**
 * The heartbeat media lines of ha.cf, read as Heartbeat 3.0.6 reads them (measured):
 *  - bcast IF…: every bcast uses the udpport in force at the FIRST bcast line (the port belongs to the
 *    bcast plugin, not to the line);
 *  - ucast IF PEER: the udpport in force at its own line; 3.0.6 reads one peer and silently drops any
 *    other, so halo refuses a second one rather than leave a peer unwatched;
 *  - mcast IF GROUP PORT TTL LOOP: its own port; TTL 0–4, LOOP 0 or 1, GROUP in 224.0.0.0/4 (read by
 *    inet_pton: dotted decimal, no leading zeros);
 *  - serial DEV…: the baud in force at its line.
 */
import { isIPv4 } from '../../lib/net.ts'

/** A heartbeat medium halo sends on (ha.d/media.ts opens each one). */
export type Medium =
  | { kind: 'bcast'; iface: string; port: number }
  | { kind: 'ucast'; iface: string; peer: string; port: number }
  | { kind: 'mcast'; iface: string; group: string; port: number; ttl: number; loop: boolean }

/** A media line of ha.cf as read: a medium, or a serial line (halo has no serial heartbeat), and its line. */
export type MediaLine = (Medium | { kind: 'serial'; device: string; baud: number }) & { line: number }

/** Media the real daemon has plugins for but halo does not send on: refused, never silently dropped. */
export const unsupportedMedia = ['mcast6', 'ucast6', 'ping6'] as const

/** Throws the reason (without file and line) when the line is wrong; the caller adds where. */
export function parseUcast(words: readonly string[], port: number, line: number): MediaLine {
  const [iface, peer, ...extra] = words
  if (!iface || !peer) throw new Error('ucast needs an interface and the peer address: ucast eth1 10.0.0.2')
  if (extra.length > 0) {
    throw new Error(`ucast takes one peer per line (Heartbeat 3.0.6 ignores "${extra.join(' ')}"): write one ucast line per peer`)
  }
  return { kind: 'ucast', iface, peer, port, line }
}

export function parseMcast(words: readonly string[], line: number): MediaLine {
  const usage = 'write mcast IF GROUP PORT TTL LOOP, e.g. mcast eth1 239.0.0.1 694 1 0'
  if (words.length !== 5) throw new Error(`mcast needs 5 values, not ${words.length}: ${usage}`)
  const [iface, group, port, ttl, loop] = words
  const first = Number(group.split('.')[0])
  if (!isIPv4(group) || first < 224 || first > 239) throw new Error(`mcast group ${group} is not a multicast address (224.0.0.0 to 239.255.255.255)`)
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new Error(`mcast port ${port} is not a port number (1 to 65535)`)
  if (!/^[0-4]$/.test(ttl)) throw new Error(`mcast ttl ${ttl} must be 0 to 4`)
  if (loop !== '0' && loop !== '1') throw new Error(`mcast loop ${loop} must be 0 or 1 (0 is right for a heartbeat)`)
  return { kind: 'mcast', iface, group, port: Number(port), ttl: Number(ttl), loop: loop === '1', line }
}
