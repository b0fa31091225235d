/**
 * The real Heartbeat 3.0.6 captures and the keys that sign them. test/fixtures/heartbeat-wire holds the
 * pcaps and their .decoded.txt, copied unchanged from the project's reference (heartbeat-wire/), so a
 * clone alone runs the wire tests.
 */
import { readFileSync } from 'node:fs'
import type { AuthKey, AuthKeys } from '../../../ha.d/config/authkeys.ts'
import { readPcap, type UdpPacket } from '../../harness/pcap.ts'

const FIXTURES = new URL('../../fixtures/heartbeat-wire/', import.meta.url)
const KEY = 's3cr3t-hb-test-key'

/**
 * The reference's README lists `auth 1` for every capture, but the messages say which index signed
 * them: 3 in the crc capture, 2 in the md5 one, 1 in the sha1 one. The index is not signed data, so the
 * keys are the README's at the indexes the packets carry.
 */
export const CAPTURES: readonly { name: string; key: AuthKey }[] = [
  { name: 'bcast-crc', key: { index: 3, method: 'crc', key: '' } },
  { name: 'ucast-md5', key: { index: 2, method: 'md5', key: KEY } },
  { name: 'bcast-sha1', key: { index: 1, method: 'sha1', key: KEY } },
]

export function keySet(...keys: AuthKey[]): AuthKeys {
  return { use: keys[0], keys: new Map(keys.map((k) => [k.index, k])) }
}

/** The packets of a capture and the lines of its .decoded.txt, one per packet. */
export function capture(name: string): { packets: UdpPacket[]; lines: string[] } {
  const lines = readFileSync(new URL(`${name}.decoded.txt`, FIXTURES), 'utf8').split('\n').filter(Boolean)
  return { packets: readPcap(new URL(`${name}.pcap`, FIXTURES)), lines }
}
