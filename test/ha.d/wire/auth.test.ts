import t from 'tap'
import { createHmac } from 'node:crypto'
import type { AuthKey } from '../../../ha.d/config/authkeys.ts'
import { verify } from '../../../ha.d/wire/auth.ts'
import { type Decoded, decode, encode } from '../../../ha.d/wire/codec.ts'
import { heartbeatCrc } from '../../../ha.d/wire/crc.ts'
import { WireError } from '../../../ha.d/wire/error.ts'
import { Message } from '../../../ha.d/wire/message.ts'
import { CAPTURES, capture, keySet } from './captures.ts'

const crc: AuthKey = { index: 3, method: 'crc', key: '' }
const md5: AuthKey = { index: 2, method: 'md5', key: 'one key' }
const sha1: AuthKey = { index: 1, method: 'sha1', key: 'another key' }

const decoded = (bytes: Buffer | string): Decoded => {
  const d = decode(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1'))
  if (d instanceof WireError) throw d
  return d
}
const status = () => new Message().add('t', 'status').add('st', 'active').add('srcuuid', Buffer.from('00ff10', 'hex'))

t.test('the crc is CRC-32/POSIX without the length: poly 04C11DB7, init 0, inverted, no leading zeros', async (t) => {
  t.equal(heartbeatCrc('123456789'), '765e7680', 'the catalogue check value')
  t.equal(heartbeatCrc(''), 'ffffffff')
  t.equal(heartbeatCrc('m38'), 'a9d46b2', 'printed without leading zeros')
  t.equal(heartbeatCrc('\x46\xaf\x64\x49'), '0', 'down to a single 0')
})

t.test('a message signed with any configured key verifies; the sender signs with its `use` key', async (t) => {
  const all = keySet(sha1, md5, crc)
  for (const key of [crc, md5, sha1]) {
    const bytes = encode(status(), key)
    const d = decoded(bytes)
    t.match(d.message.get('auth'), new RegExp(`^${key.index} [0-9a-f]+$`), `${key.method}: the auth field names index ${key.index}`)
    t.match(bytes.toString('latin1'), new RegExp(`%%%\\n\\d+:${key.index} [0-9a-f]+,$`), `${key.method}: so does the trailer`)
    t.equal(verify(d, all), undefined, `${key.method} verifies`)
  }
})

t.test('a wrong or unknown key fails both signatures, and says so', async (t) => {
  const d = decoded(encode(status(), { ...md5, key: 'guessed' }))
  t.match(verify(d, keySet(md5))?.message, /auth field does not match \(md5 key 2.*; trailer does not match \(md5 key 2/)
  t.match(verify(d, keySet(sha1))?.message, /auth field is signed with key 2, which authkeys does not have; trailer is signed with key 2/)
})

t.test('verification names the signature that failed', async (t) => {
  const good = encode(status(), md5).toString('latin1')
  const body = good.slice(0, good.indexOf('%%%\n') + 4)
  // st=active → st=ACTIVE: the auth field no longer covers it, while the trailer is recomputed to match
  const forged = body.replace('st=active', 'st=ACTIVE')
  const trailer = `2 ${createHmac('md5', md5.key).update(forged, 'latin1').digest('hex')}`
  const onlyField = verify(decoded(`${forged}${trailer.length}:${trailer},`), keySet(md5))
  t.match(onlyField?.message, /^not authentic: auth field does not match \(md5 key 2[^;]*$/)
  const badTrailer = good.replace(/[0-9a-f],$/, (c) => `${c[0] === '0' ? '1' : '0'},`)
  t.match(verify(decoded(badTrailer), keySet(md5))?.message, /^not authentic: trailer does not match/)
  t.match(verify(decoded(body), keySet(md5))?.message, /^not authentic: no auth trailer after %%%$/)
  t.equal(verify(decoded(encode(status(), md5)), keySet(md5)), undefined, 'untouched, both hold')
  const unsigned = '###\n11:(0)t=status,%%%\n'
  t.match(verify(decoded(unsigned), keySet(md5))?.message, /no auth field; no auth trailer/)
  t.match(verify(decoded('###\n12:(0)auth=2 zz,%%%\n'), keySet(md5))?.message, /auth field "2 zz" is not "<index> <hex>"/)
})

t.test('the classic form decodes and is checked by its auth field', async (t) => {
  const { name, key } = CAPTURES[0]
  const captured = decoded(capture(name).packets[0].payload).message
  const lines = captured.fields.map((f) => (f.type === 0 ? `${f.name}=${f.value}\n` : `(1)${f.name}=${f.value.toString('base64')}\n`))
  const classic = decoded(`>>>\n${lines.join('')}<<<\n`)
  t.equal(classic.form, 'classic')
  t.same(classic.message.fields, captured.fields, 'the same fields, binary decoded from base64')
  t.equal(verify(classic, keySet(key)), undefined, 'its auth field verifies; there is no trailer to check')
  const altered = decoded(`>>>\n${lines.join('').replace('st=init', 'st=up')}<<<\n`)
  t.match(verify(altered, keySet(key))?.message, /^not authentic: auth field does not match/)
  const standby = decoded('>>>\nt=ask_resources\nrsc_hold=foreign\ninfo=me\n<<<\n')
  t.same(standby.message.fields.map((f) => f.value), ['ask_resources', 'foreign', 'me'], "hb_standby's unsigned request")
  t.match(verify(standby, keySet(key))?.message, /^not authentic: no auth field$/)
})
