/**
 * Heartbeat's `crc` auth: CRC-32 with polynomial 0x04C11DB7 fed MSB-first, starting from 0 (not the
 * zlib/Ethernet variant: no reflection, no initial ~0, no length appended), result inverted and printed
 * as lowercase hex without leading zeros.
 */

const TABLE = new Uint32Array(256)
for (let i = 0; i < 256; i++) {
  let c = i << 24
  for (let bit = 0; bit < 8; bit++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1
  TABLE[i] = c >>> 0
}

/** `data` is a byte string (one char per byte, as the codec keeps messages). */
export function heartbeatCrc(data: string): string {
  let crc = 0
  for (let i = 0; i < data.length; i++) crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ data.charCodeAt(i)) & 0xff]) >>> 0
  return (~crc >>> 0).toString(16)
}
