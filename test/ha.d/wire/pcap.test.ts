import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readPcap } from '../../harness/pcap.ts'

function ipv4(proto: number, flagsAndOffset: number, body: Buffer): Buffer {
  const ip = Buffer.alloc(20)
  ip[0] = 0x45
  ip.writeUInt16BE(20 + body.length, 2)
  ip.writeUInt16BE(flagsAndOffset, 6)
  ip[9] = proto
  Buffer.from([10, 250, 0, 2, 10, 250, 0, 255]).copy(ip, 12)
  // Ethernet pads short frames: the reader must take lengths from the headers, not the frame
  return Buffer.concat([ip, body, Buffer.alloc(6)])
}

function udp(payload: string): Buffer {
  const u = Buffer.alloc(8)
  u.writeUInt16BE(47084, 0)
  u.writeUInt16BE(694, 2)
  u.writeUInt16BE(8 + payload.length, 4)
  return Buffer.concat([u, Buffer.from(payload)])
}

/** A big-endian, nanosecond pcap of `frames` on link type `link`. */
function pcap(link: number, frames: Buffer[]): Buffer {
  const head = Buffer.alloc(24)
  head.writeUInt32BE(0xa1b23c4d, 0)
  head.writeUInt32BE(link, 20)
  const records = frames.map((f, i) => {
    const r = Buffer.alloc(16)
    r.writeUInt32BE(1795388667 + i, 0)
    r.writeUInt32BE(104979123, 4)
    r.writeUInt32BE(f.length, 8)
    r.writeUInt32BE(f.length, 12)
    return Buffer.concat([r, f])
  })
  return Buffer.concat([head, ...records])
}

t.test('UDP payloads of Linux cooked captures, big-endian with nanoseconds; the rest skipped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-pcap-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const sll = (ip: Buffer) => Buffer.concat([Buffer.alloc(14), Buffer.from([0x08, 0x00]), ip])
  const sll2 = (ip: Buffer) => Buffer.concat([Buffer.from([0x08, 0x00]), Buffer.alloc(18), ip])
  const frames = [udp('###\n'), udp('fragment'), udp('tcp')]
  const ips = [ipv4(17, 0x4000, frames[0]), ipv4(17, 0x2000, frames[1]), ipv4(6, 0, frames[2])]
  for (const [link, frame] of [[113, sll], [276, sll2]] as const) {
    const file = join(dir, `${link}.pcap`)
    writeFileSync(file, pcap(link, ips.map(frame)))
    const only = { sec: 1795388667, usec: 104979, from: '10.250.0.2:47084', to: '10.250.0.255:694', payload: Buffer.from('###\n') }
    t.same(readPcap(file), [only], `link type ${link}: the whole UDP datagram, not the fragment, not the TCP segment`)
  }
  writeFileSync(join(dir, 'x.pcap'), pcap(105, []))
  t.throws(() => readPcap(join(dir, 'x.pcap')), { message: /pcap link type 105 is not read/ })
  writeFileSync(join(dir, 'ng.pcap'), Buffer.from('0a0d0d0a', 'hex'))
  t.throws(() => readPcap(join(dir, 'ng.pcap')), { message: /not a pcap file/ })
})
