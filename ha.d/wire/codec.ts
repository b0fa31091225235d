/**
 * Heartbeat's two message forms, bytes ⇄ Message.
 * Netstring form (what daemons send):
 *   `###\n` then each field as `<len>:(<t>)<name>=<value>,` (len counts `(t)name=value`; the `(t)`
 *   prefix is mandatory, a real daemon asserts on it), then `%%%\n`, then the trailer `<len>:<N> <hex>,`.
 * Classic form (accepted, e.g. from older tools): `>>>\n`, `name=value\n` lines (binary `(1)name=<base64>`),
 * `<<<\n`. What each signature covers is in auth.ts.
 * Decoding returns a WireError, never throws: every step checks a bound before it reads, and every loop
 * moves forward, so no packet can crash or hang the reader.
 */
import type { AuthKey } from '../config/authkeys.ts'
import { authFieldData, sign } from './auth.ts'
import { WireError } from './error.ts'
import { type Field, Message } from './message.ts'

/** The largest message Heartbeat sends or accepts. */
export const MAX_MESSAGE = 256 * 1024

export type Decoded =
  /** `signed`: the bytes from `###\n` through `%%%\n`; `trailer`: its `N hex`, if present */
  | { form: 'netstring'; message: Message; signed: string; trailer?: string }
  | { form: 'classic'; message: Message }

const TYPE_NAMES = ['string', 'binary', 'struct', 'list', 'compressed', 'uncompressed']
// six digits reach MAX_MESSAGE; more is a garbage length, refused before it is parsed as a number
const MAX_LENGTH_DIGITS = 6

export function decode(packet: Buffer): Decoded | WireError {
  if (packet.length > MAX_MESSAGE) return new WireError(`message of ${packet.length} bytes, more than the ${MAX_MESSAGE} Heartbeat allows`)
  const s = packet.toString('latin1')
  if (s.startsWith('###\n')) return decodeNetstring(s)
  if (s.startsWith('>>>\n')) return decodeClassic(s)
  return new WireError(`not a Heartbeat message: starts with ${excerpt(s)}`)
}

function decodeNetstring(s: string): Decoded | WireError {
  const fields: Field[] = []
  let at = 4
  while (!s.startsWith('%%%\n', at)) {
    if (at >= s.length) return new WireError('message ends without its %%% line')
    const item = netstring(s, at)
    const field = typeof item === 'string' ? item : parseField(item.body, true)
    if (typeof item === 'string' || typeof field === 'string') return new WireError(`field ${fields.length + 1} (byte ${at}): ${field}`)
    fields.push(field)
    at = item.next
  }
  const message = new Message(fields)
  const signed = s.slice(0, at + 4)
  if (signed.length === s.length) return { form: 'netstring', message, signed }
  const trailer = netstring(s, signed.length)
  if (typeof trailer === 'string') return new WireError(`trailer (byte ${signed.length}): ${trailer}`)
  if (trailer.next !== s.length) return new WireError(`${s.length - trailer.next} stray bytes after the trailer`)
  return { form: 'netstring', message, signed, trailer: trailer.body }
}

/** `<len>:<body>,` at `at`, or what is wrong with it. */
function netstring(s: string, at: number): { body: string; next: number } | string {
  let colon = at
  while (colon < s.length && colon - at <= MAX_LENGTH_DIGITS && isDigit(s.charCodeAt(colon))) colon++
  if (colon === at) return `expected a length, found ${excerpt(s.slice(at, at + 41))}`
  if (colon - at > MAX_LENGTH_DIGITS) return `length ${s.slice(at, colon)}… has more than ${MAX_LENGTH_DIGITS} digits`
  if (s[colon] !== ':') return `length ${s.slice(at, colon)} not followed by ':'`
  const length = Number(s.slice(at, colon))
  const end = colon + 1 + length
  if (end >= s.length) return `length ${length} runs past the end of the message`
  if (s[end] !== ',') return `${length} bytes not followed by ','`
  return { body: s.slice(colon + 1, end), next: end + 1 }
}

/** `(t)name=value`; the prefix is required in netstring form and optional (text) in classic form. */
function parseField(body: string, prefixRequired: boolean): Field | string {
  let type = 0
  let nameAt = 0
  if (body[0] === '(' && body[2] === ')' && isDigit(body.charCodeAt(1))) {
    type = body.charCodeAt(1) - 48
    nameAt = 3
  } else if (prefixRequired) {
    return `no (type) prefix in ${excerpt(body)}`
  }
  const eq = body.indexOf('=', nameAt)
  if (eq < 0) return `no '=' in ${excerpt(body)}`
  if (eq === nameAt) return `empty field name in ${excerpt(body)}`
  const name = body.slice(nameAt, eq)
  const value = body.slice(eq + 1)
  if (type === 0) return { name, type, value }
  if (type === 1) {
    const bytes = prefixRequired ? Buffer.from(value, 'latin1') : base64(value)
    return bytes ? { name, type, value: bytes } : `field ${name}: ${excerpt(value)} is not base64`
  }
  const kind = TYPE_NAMES[type] ?? 'unknown'
  return `field ${name}: type ${type} (${kind}) is not supported (Heartbeat v1 sends only string and binary fields)`
}

function decodeClassic(s: string): Decoded | WireError {
  if (!s.endsWith('<<<\n')) return new WireError('classic message does not end with a <<< line')
  const body = s.slice(4, -4)
  if (body !== '' && !body.endsWith('\n')) return new WireError('classic message: <<< is not on a line of its own')
  const fields: Field[] = []
  for (const line of body === '' ? [] : body.slice(0, -1).split('\n')) {
    const field = parseField(line, false)
    if (typeof field === 'string') return new WireError(`line ${fields.length + 2}: ${field}`)
    fields.push(field)
  }
  return { form: 'classic', message: new Message(fields) }
}

/** Strict: only canonical padded base64, since a lenient decode would not re-encode to what was signed. */
function base64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : undefined
}

/**
 * The netstring form of `message`, signed with `key`: its auth field is recomputed (in place if the
 * message has one, else appended last, as Heartbeat does), then the trailer. Throws a WireError for a
 * message the real daemon would reject or misread.
 */
export function encode(message: Message, key: AuthKey): Buffer {
  const auth = sign(key, authFieldData(message.fields))
  let body = '###\n'
  let signed = false
  for (const f of message.fields) {
    checkField(f)
    if (f.name !== 'auth') body += netfield(f.type, f.name, f.type === 0 ? f.value : f.value.toString('latin1'))
    else if (!signed) body += netfield(0, 'auth', auth)
    signed ||= f.name === 'auth'
  }
  if (!signed) body += netfield(0, 'auth', auth)
  body += '%%%\n'
  const trailer = sign(key, body)
  body += `${trailer.length}:${trailer},`
  if (body.length > MAX_MESSAGE) throw new WireError(`message of ${body.length} bytes, more than the ${MAX_MESSAGE} Heartbeat allows`)
  return Buffer.from(body, 'latin1')
}

function netfield(type: 0 | 1, name: string, value: string): string {
  const item = `(${type})${name}=${value}`
  return `${item.length}:${item},`
}

// Heartbeat keeps values as C strings and drops a field with an empty value (hence its `delnodelist= `)
function checkField(f: Field): void {
  if (f.name === '' || /[^\x01-\xff]|[\n=]/.test(f.name)) throw new WireError(`field name ${JSON.stringify(f.name)} cannot be sent`)
  if (f.value.length === 0) throw new WireError(`field ${f.name} is empty; Heartbeat drops such a message (send ' ' for nothing)`)
  if (f.type === 0 && /[^\x01-\xff]/.test(f.value)) throw new WireError(`field ${f.name}: a NUL or a character beyond one byte cannot be sent`)
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

function excerpt(s: string): string {
  return s.length > 40 ? `${JSON.stringify(s.slice(0, 40))}…` : JSON.stringify(s)
}
