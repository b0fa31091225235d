import t from 'tap'
import { verify } from '../../../ha.d/wire/auth.ts'
import { decode, encode, MAX_MESSAGE } from '../../../ha.d/wire/codec.ts'
import { WireError } from '../../../ha.d/wire/error.ts'
import { Message } from '../../../ha.d/wire/message.ts'
import { CAPTURES, capture, keySet } from './captures.ts'

const errorOf = (text: string | Buffer) => {
  const d = decode(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'))
  return d instanceof WireError ? d.message : `decoded: ${JSON.stringify(d.message.fields)}`
}

t.test('malformed messages are errors that say what is wrong', async (t) => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['empty', '', /^not a Heartbeat message: starts with ""$/],
    ['random text', 'GET / HTTP/1.1\r\n', /^not a Heartbeat message: starts with "GET/],
    ['no end', '###\n11:(0)t=status,', /^message ends without its %%% line$/],
    ['truncated field', '###\n11:(0)t=stat', /^field 1 \(byte 4\): length 11 runs past the end of the message$/],
    ['a length too short', '###\n10:(0)t=status,%%%\n', /^field 1 \(byte 4\): 10 bytes not followed by ','$/],
    ['no length', '###\n(0)t=status,%%%\n', /^field 1 \(byte 4\): expected a length, found "\(0\)t=status/],
    ['no colon', '###\n11;(0)t=status,%%%\n', /^field 1 \(byte 4\): length 11 not followed by ':'$/],
    ['a huge length', `###\n${'9'.repeat(40)}:(0)t=x,%%%\n`, /^field 1 \(byte 4\): length 9999999… has more than 6 digits$/],
    ['no (t) prefix', '###\n8:t=status,%%%\n', /^field 1 \(byte 4\): no \(type\) prefix in "t=status"$/],
    ['(t) half there', '###\n10:(0t=status,%%%\n', /no \(type\) prefix/],
    ['no =', '###\n11:(0)tstatus1,%%%\n', /^field 1 \(byte 4\): no '=' in "\(0\)tstatus1"$/],
    ['no name', '###\n10:(0)=status,%%%\n', /empty field name/],
    ['a struct', '###\n11:(2)t=status,%%%\n', /^field 1 \(byte 4\): field t: type 2 \(struct\) is not supported/],
    ['a list', '###\n12:(3)t=a b c d,%%%\n', /type 3 \(list\) is not supported/],
    ['compressed', '###\n11:(4)t=status,%%%\n', /type 4 \(compressed\) is not supported/],
    ['an unknown type', '###\n11:(9)t=status,%%%\n', /type 9 \(unknown\) is not supported/],
    ['second field bad', '###\n11:(0)t=status,5:(0)st,%%%\n', /^field 2 \(byte 19\): no '='/],
    ['trailer cut', '###\n11:(0)t=status,%%%\n10:1 abcd', /^trailer \(byte 23\): length 10 runs past the end/],
    ['trailer garbage', '###\n11:(0)t=status,%%%\nxyz', /^trailer \(byte 23\): expected a length/],
    ['bytes after trailer', '###\n11:(0)t=status,%%%\n6:1 abcd,junk', /^4 stray bytes after the trailer$/],
    ['too big', Buffer.alloc(MAX_MESSAGE + 1, 0x23), /^message of 262145 bytes, more than the 262144 Heartbeat allows$/],
    ['classic without end', '>>>\nt=status\n', /^classic message does not end with a <<< line$/],
    ['classic end on a field line', '>>>\nt=status<<<\n', /<<< is not on a line of its own/],
    ['classic line without =', '>>>\nt=status\nst\n<<<\n', /^line 3: no '=' in "st"$/],
    ['classic bad base64', '>>>\n(1)srcuuid=!!\n<<<\n', /^line 2: field srcuuid: "!!" is not base64$/],
    ['classic unpadded base64', '>>>\n(1)srcuuid=AAE\n<<<\n', /is not base64/],
  ]
  for (const [what, input, expected] of cases) t.match(errorOf(input), expected, what)
})

t.test('what Heartbeat would choke on is never sent', async (t) => {
  const key = CAPTURES[0].key
  const send = (m: Message) => () => encode(m, key)
  t.throws(
    send(new Message().add('t', 'repnodes').add('delnodelist', '')),
    new WireError("field delnodelist is empty; Heartbeat drops such a message (send ' ' for nothing)"),
  )
  t.throws(send(new Message().add('t', 'a\0b')), { message: /field t: a NUL or a character beyond one byte cannot be sent/ })
  t.throws(send(new Message().add('t', 'nœud')), { message: /character beyond one byte/ })
  t.throws(send(new Message().add('a=b', 'x')), { message: /field name "a=b" cannot be sent/ })
  t.throws(send(new Message().add('t', 'x'.repeat(MAX_MESSAGE))), { message: /more than the 262144 Heartbeat allows/ })
  t.throws(send(new Message().add('srcuuid', Buffer.alloc(0))), { message: /field srcuuid is empty/ })
  const m = new Message().add('t', 'status').add('auth', 'stale').add('st', 'up')
  const d = decode(encode(m, key))
  t.same(d instanceof WireError ? d : d.message.fields.map((f) => f.name), ['t', 'auth', 'st'], 'an existing auth field is re-signed where it is')
  t.equal(m.get('auth'), 'stale', 'and the message given is left as it was')
})

// deterministic, so a failure can be replayed
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Decodes without throwing; true if the bytes decode AND verify. */
function accepted(bytes: Buffer, keys: ReturnType<typeof keySet>): boolean {
  const d = decode(bytes)
  return !(d instanceof WireError) && verify(d, keys) === undefined
}

t.test('no cut, changed byte or random input throws, hangs or passes as authentic', async (t) => {
  let tried = 0
  const passed: string[] = []
  for (const { name, key } of CAPTURES) {
    const keys = keySet(key)
    for (const [n, { payload }] of capture(name).packets.slice(0, 12).entries()) {
      for (let cut = 0; cut < payload.length; cut++, tried++) {
        if (accepted(payload.subarray(0, cut), keys)) passed.push(`${name} #${n} cut at ${cut}`)
      }
      for (let at = 0; at < payload.length; at++) {
        for (const flip of [0x01, 0x20, 0x80]) {
          const changed = Buffer.from(payload)
          changed[at] ^= flip
          tried++
          if (accepted(changed, keys)) passed.push(`${name} #${n} byte ${at} ^ ${flip}`)
        }
      }
    }
  }
  const next = random(694)
  const keys = keySet(CAPTURES[0].key)
  for (let i = 0; i < 3000; i++, tried++) {
    const bytes = Buffer.from(Array.from({ length: Math.floor(next() * 400) }, () => Math.floor(next() * 256)))
    // half of them start like a message, to get past the first check into the field parser
    const input = i % 2 ? Buffer.concat([Buffer.from('###\n15:(0)t=NS_ackmsg,'), bytes]) : bytes
    if (accepted(input, keys)) passed.push(`random #${i}`)
  }
  t.same(passed, [], `${tried} damaged or random inputs, none accepted`)
})
