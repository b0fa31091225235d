/**
 * The UDP payloads of a pcap file, for tests that replay real captures: Ethernet (optionally one VLAN
 * tag) or Linux cooked (v1, v2) link layers, IPv4 only, unfragmented datagrams; anything else is skipped.
 * The link type is read from the file header, so captures made with `-i any` read the same.
 */
import { readFileSync } from 'node:fs'

export interface UdpPacket {
  /** capture time: seconds, and the fraction in microseconds */
  sec: number
  usec: number
  /** `address:port` */
  from: string
  to: string
  payload: Buffer
}

/** Per link type (the pcap header's): where the frame says its payload's ethertype, and where that starts. */
const LINKS = new Map([
  [1, { typeAt: 12, payloadAt: 14 }], // Ethernet
  [113, { typeAt: 14, payloadAt: 16 }], // Linux cooked v1 (`-i any`)
  [276, { typeAt: 0, payloadAt: 20 }], // Linux cooked v2
])
const VLAN = 0x8100
const IPV4 = 0x0800

export function readPcap(file: string | URL): UdpPacket[] {
  const data = readFileSync(file)
  const magic = data.length >= 24 ? data.readUInt32LE(0) : 0
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1
  if (!le && magic !== 0xd4c3b2a1 && magic !== 0x4d3cb2a1) throw new Error(`${file}: not a pcap file (pcapng is not read)`)
  const u32 = (at: number) => (le ? data.readUInt32LE(at) : data.readUInt32BE(at))
  const link = u32(20)
  const layout = LINKS.get(link)
  if (!layout) throw new Error(`${file}: pcap link type ${link} is not read (Ethernet, Linux cooked v1 and v2 are)`)
  const packets: UdpPacket[] = []
  for (let at = 24; at + 16 <= data.length; ) {
    const captured = u32(at + 8)
    // a capture still being written may end inside its last packet
    if (at + 16 + captured > data.length) break
    const frame = data.subarray(at + 16, at + 16 + captured)
    const ip = ipv4Of(frame, layout)
    const udp = ip && udpOf(ip)
    if (udp) packets.push({ sec: u32(at), usec: nanos ? Math.floor(u32(at + 4) / 1000) : u32(at + 4), ...udp })
    at += 16 + captured
  }
  return packets
}

/** The IPv4 packet inside a link-layer frame, if it is one. */
function ipv4Of(frame: Buffer, { typeAt, payloadAt }: { typeAt: number; payloadAt: number }): Buffer | undefined {
  let type = frame.readUInt16BE(typeAt)
  if (type === VLAN) [type, payloadAt] = [frame.readUInt16BE(typeAt + 4), payloadAt + 4]
  return type === IPV4 ? frame.subarray(payloadAt) : undefined
}

function udpOf(ip: Buffer): Omit<UdpPacket, 'sec' | 'usec'> | undefined {
  const header = (ip[0] & 0x0f) * 4
  const fragmented = (ip.readUInt16BE(6) & 0x3fff) !== 0 // more-fragments flag or an offset
  if (ip[0] >> 4 !== 4 || ip[9] !== 17 || fragmented) return undefined
  const udp = ip.subarray(header, ip.readUInt16BE(2))
  const address = (at: number) => `${ip[at]}.${ip[at + 1]}.${ip[at + 2]}.${ip[at + 3]}`
  return {
    from: `${address(12)}:${udp.readUInt16BE(0)}`,
    to: `${address(16)}:${udp.readUInt16BE(2)}`,
    payload: udp.subarray(8, udp.readUInt16BE(4)),
  }
}
