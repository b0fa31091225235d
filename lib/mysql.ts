/**
 * What the mysql agent and the demo's client share of the MySQL client protocol: the error packet the
 * server sends instead of a greeting, an OK or rows.
 */

/**
 * An error packet's payload as the mysql client prints it: `ERROR 1045 (28000): Access denied…`. The SQL
 * state follows a `#` only where the server knows the client speaks protocol 4.1: a refusal sent before
 * the handshake (too many connections, a blocked host) has none, and is `ERROR 1040: Too many connections`.
 */
export function errorPacketText(payload: Buffer): string {
  const code = payload.readUInt16LE(1)
  if (payload[3] !== 0x23) return `ERROR ${code}: ${payload.subarray(3).toString('utf8')}`
  return `ERROR ${code} (${payload.subarray(4, 9).toString('latin1')}): ${payload.subarray(9).toString('utf8')}`
}

/** whether a payload is an error packet */
export const isErrorPacket = (payload: Buffer): boolean => payload[0] === 0xff
