/**
 * Golden vectors: every message two real Heartbeat 3.0.6 daemons exchanged decodes to the fields of its
 * .decoded.txt line, verifies, re-signs to the same auth field and trailer, and re-encodes to its bytes.
 */
import t from 'tap'
import { authFieldData, sign, verify } from '../../../ha.d/wire/auth.ts'
import { decode, encode } from '../../../ha.d/wire/codec.ts'
import { WireError } from '../../../ha.d/wire/error.ts'
import type { Message } from '../../../ha.d/wire/message.ts'
import type { UdpPacket } from '../../harness/pcap.ts'
import { CAPTURES, capture, keySet } from './captures.ts'

/** A message the way .decoded.txt prints it: fields in wire order but auth, binary as hex. */
function line(p: UdpPacket, message: Message): string {
  const fields = message.fields
    .filter((f) => f.name !== 'auth')
    .map((f) => `${f.name}=${f.type === 0 ? f.value : f.value.toString('hex')}`)
  return `${p.sec}.${String(p.usec).padStart(6, '0')} ${p.from} len=${p.payload.length} ${fields.join(' ')} [auth-field OK, trailer OK]`
}

for (const { name, key } of CAPTURES) {
  t.test(name, async (t) => {
    const { packets, lines } = capture(name)
    t.equal(packets.length, lines.length, 'one decoded line per captured message')
    t.ok(packets.length >= 250, `${packets.length} messages`)
    const keys = keySet(key)
    const wrong = { decode: [] as string[], verify: [] as string[], resign: [] as string[], encode: [] as number[] }
    packets.forEach((p, i) => {
      const decoded = decode(p.payload)
      if (decoded instanceof WireError) return wrong.decode.push(`#${i}: ${decoded.message}`)
      if (line(p, decoded.message) !== lines[i]) wrong.decode.push(`#${i}: ${line(p, decoded.message)}\n  is not ${lines[i]}`)
      const bad = verify(decoded, keys)
      if (bad) wrong.verify.push(`#${i}: ${bad.message}`)
      if (decoded.form !== 'netstring') return wrong.decode.push(`#${i}: read as ${decoded.form}`)
      const auth = decoded.message.get('auth')
      if (sign(key, authFieldData(decoded.message.fields)) !== auth) wrong.resign.push(`#${i}: auth field ${auth}`)
      if (sign(key, decoded.signed) !== decoded.trailer) wrong.resign.push(`#${i}: trailer ${decoded.trailer}`)
      if (!encode(decoded.message, key).equals(p.payload)) wrong.encode.push(i)
    })
    t.same(wrong.decode, [], 'every message decodes to exactly the fields of its line')
    t.same(wrong.verify, [], 'every message verifies: auth field and trailer')
    t.same(wrong.resign, [], 'signing reproduces every auth field and trailer')
    t.same(wrong.encode, [], 'encoding the decoded fields gives the captured bytes')
  })
}
