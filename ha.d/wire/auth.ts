/**
 * Signing and checking messages the way Heartbeat does. A netstring message carries two signatures,
 * both `<index> <hex>` with the key index from authkeys:
 *  - the `auth` field: over `name=value\n` of every other field in wire order, binary values written
 *    `(1)name=<base64, padded>`. Heartbeat places it after all others (after `ttl`, just before `%%%`;
 *    so in every captured packet), and it covers the fields on both sides of it wherever it sits;
 *  - the trailer after `%%%\n`: over the exact bytes from `###\n` through `%%%\n`, so it covers the
 *    auth field too.
 * The classic form (`>>>` … `<<<`) has only the auth field.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { AuthKey, AuthKeys } from '../config/authkeys.ts'
import type { Decoded } from './codec.ts'
import { heartbeatCrc } from './crc.ts'
import { WireError } from './error.ts'
import type { Field } from './message.ts'


/** `<index> <hex>` of `data`, a byte string. */
export function sign(key: AuthKey, data: string): string {
  const hex = key.method === 'crc' ? heartbeatCrc(data) : createHmac(key.method, key.key).update(data, 'latin1').digest('hex')
  return `${key.index} ${hex}`
}

/** What the auth field signs: every other field as a `name=value` line, in order. */
export function authFieldData(fields: readonly Field[]): string {
  let data = ''
  for (const f of fields) {
    if (f.name === 'auth') continue
    data += f.type === 0 ? `${f.name}=${f.value}\n` : `(1)${f.name}=${f.value.toString('base64')}\n`
  }
  return data
}

/** Undefined if the message is authentic; else a WireError saying which signature failed and why. */
export function verify(decoded: Decoded, keys: AuthKeys): WireError | undefined {
  const field = decoded.message.field('auth')
  const problems = [
    field === undefined
      ? 'no auth field'
      : field.type !== 0
        ? 'the auth field is binary'
        : check('auth field', field.value, authFieldData(decoded.message.fields), keys),
  ]
  if (decoded.form === 'netstring') {
    problems.push(decoded.trailer === undefined ? 'no auth trailer after %%%' : check('trailer', decoded.trailer, decoded.signed, keys))
  }
  const failed = problems.filter((p) => p !== undefined)
  return failed.length > 0 ? new WireError(`not authentic: ${failed.join('; ')}`) : undefined
}

function check(what: string, claim: string, data: string, keys: AuthKeys): string | undefined {
  const m = /^(\d{1,2}) [0-9a-f]{1,40}$/.exec(claim)
  if (!m) return `${what} ${JSON.stringify(claim.slice(0, 60))} is not "<index> <hex>"`
  const key = keys.keys.get(Number(m[1]))
  if (!key) return `${what} is signed with key ${m[1]}, which authkeys does not have`
  if (!sameText(sign(key, data), claim)) return `${what} does not match (${key.method} key ${key.index}: another key, or altered on the way)`
  return undefined
}

// constant time: a forger must not learn a valid signature digit by digit from how long checks take
function sameText(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'))
}
