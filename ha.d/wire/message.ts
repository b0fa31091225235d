/**
 * A Heartbeat message: an ordered list of fields. Order is kept because it is signed: the auth field
 * covers the fields in order, and a peer's message must re-encode to its exact bytes.
 * Text is held as byte strings (one char per byte, latin1), as the C daemon holds C strings: every byte
 * round-trips, and the names and numbers on the wire are ASCII, where this is invisible.
 */
import { WireError } from './error.ts'

/** Only the two types Heartbeat v1 sends (the codec names and rejects struct, list and compressed). */
export type Field = { name: string; type: 0; value: string } | { name: string; type: 1; value: Buffer }

/**
 * How each numeric field is printed by Heartbeat: `%lx` for sequence numbers, generation, time, deadtime
 * and acks; `%d` for the ttl, the protocol and the bounds of a retransmission request.
 */
export const NUMBER_BASE = {
  seq: 16,
  hg: 16,
  ts: 16,
  dt: 16,
  ackseq: 16,
  ttl: 10,
  protocol: 10,
  firstseq: 10,
  lastseq: 10,
  // ipfail's count of the ping nodes a node reaches
  num_ping: 10,
} as const
export type NumberField = keyof typeof NUMBER_BASE

// at most 2^53: a longer number would not survive as a JS number (and no counter of a peer gets there)
const DIGITS = { 16: /^[0-9a-fA-F]{1,13}$/, 10: /^[0-9]{1,15}$/ } as const

export class Message {
  constructor(readonly fields: Field[] = []) {}

  /** Appends a field: text for a string, bytes for a binary. */
  add(name: string, value: string | Buffer): this {
    this.fields.push(typeof value === 'string' ? { name, type: 0, value } : { name, type: 1, value })
    return this
  }

  /** Appends a numeric field printed the way Heartbeat prints it. */
  addNum(name: NumberField, n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new WireError(`field ${name}: ${n} is not a non-negative integer`)
    return this.add(name, n.toString(NUMBER_BASE[name]))
  }

  /** The first field of that name, as Heartbeat's lookup returns the first. */
  field(name: string): Field | undefined {
    return this.fields.find((f) => f.name === name)
  }

  /** A text field's value; undefined if absent, a WireError if the sender made it binary. */
  get(name: string): string | undefined {
    const f = this.field(name)
    if (f?.type === 1) throw new WireError(`field ${name} is binary where text is expected`)
    return f?.value
  }

  /** A binary field's bytes; undefined if absent, a WireError if it is text. */
  bytes(name: string): Buffer | undefined {
    const f = this.field(name)
    if (f?.type === 0) throw new WireError(`field ${name} is text where bytes are expected`)
    return f?.value
  }

  /** A numeric field in its Heartbeat base; undefined if absent, a WireError naming the field if malformed. */
  num(name: NumberField): number | undefined {
    const text = this.get(name)
    if (text === undefined) return undefined
    const base = NUMBER_BASE[name]
    if (!DIGITS[base].test(text)) {
      throw new WireError(`field ${name}: ${JSON.stringify(text.slice(0, 40))} is not a ${base === 16 ? 'hex' : 'decimal'} number`)
    }
    return parseInt(text, base)
  }
}
