// Mutated captures of the real Heartbeat 3.0.6 and random bytes at the wire codec, in-process: decode
// never throws, what it reads is never taken as authentic once altered, and reading a field of the wrong
// shape is a WireError, never another exception. (test/fuzz/engine.test.ts sends such packets to a running engine.)
import t from 'tap'
import { verify } from '../../ha.d/wire/auth.ts'
import { decode } from '../../ha.d/wire/codec.ts'
import { WireError } from '../../ha.d/wire/error.ts'
import { NUMBER_BASE, type NumberField } from '../../ha.d/wire/message.ts'
import { CAPTURES, capture, keySet } from '../ha.d/wire/captures.ts'
import { Rng, SEED, WIRE_TOKENS, mutateBytes, seedNote, tries } from './mutate.ts'


t.test('mutated captures and random bytes at decode and verify', async (t) => {
  t.comment(seedNote('wire'))
  const rng = new Rng(SEED, 'wire')
  const keys = keySet(...CAPTURES.map((c) => c.key))
  const originals = CAPTURES.flatMap((c) => capture(c.name).packets.map((p) => p.payload))
  t.ok(originals.every((p) => { const d = decode(p); return !(d instanceof Error) && verify(d, keys) === undefined }), 'every captured packet decodes and is authentic')

  const count = { sent: 0, malformed: 0, unauthentic: 0, fieldErrors: 0 }
  const failures: { why: string; packet: string }[] = []
  const n = tries(20_000)
  for (let i = 0; i < n; i++) {
    const original = rng.pick(originals)
    const packet = rng.chance(0.1) ? rng.bytes(rng.int(2000)) : mutateBytes(rng, original, WIRE_TOKENS)
    if (packet.equals(original)) continue
    count.sent++
    const fail = (why: string) => failures.push({ why, packet: packet.toString('latin1') })
    try {
      const decoded = decode(packet)
      if (decoded instanceof Error) {
        count.malformed++
        continue
      }
      // structure kept: every field read as the engine reads it gives a value or a WireError
      for (const f of decoded.message.fields) {
        for (const read of [() => decoded.message.get(f.name), () => decoded.message.bytes(f.name)]) {
          try {
            read()
          } catch (e) {
            if (!(e instanceof WireError)) fail(`reading ${f.name} threw ${String(e)}`)
            count.fieldErrors++
          }
        }
      }
      for (const name of Object.keys(NUMBER_BASE) as NumberField[]) {
        try {
          const v = decoded.message.num(name)
          if (v !== undefined && !Number.isSafeInteger(v)) fail(`num(${name}) gave ${v}`)
        } catch (e) {
          if (!(e instanceof WireError)) fail(`num(${name}) threw ${String(e)}`)
          count.fieldErrors++
        }
      }
      if (verify(decoded, keys) === undefined) fail('an altered packet verified as authentic')
      else count.unauthentic++
    } catch (e) {
      fail(`decode or verify threw ${String(e)}`)
    }
  }
  t.comment(`fuzz wire: ${count.sent} packets decoded: ${count.malformed} malformed, ${count.unauthentic} read but not authentic, ${count.fieldErrors} field reads refused, ${failures.length} misbehaved`)
  t.same(failures.slice(0, 5), [], `${failures.length} packets misbehaved (the first ones shown)`)
  t.equal(count.malformed + count.unauthentic, count.sent, 'every altered packet was refused')
})
