import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { checkAuthKeysMode, parseAuthKeys, readAuthKeys } from '../../../ha.d/config/authkeys.ts'

const file = '/etc/ha.d/authkeys'
const parse = (text: string) => parseAuthKeys(text, file)

t.test('auth N names the signing key; any key may verify', async (t) => {
  const k = parse('# keys\n\n  auth 2\n1 crc\n2 sha1 s3cr3t#x\n3 md5 k # old key\n')
  t.same(k.use, { index: 2, method: 'sha1', key: 's3cr3t#x' })
  t.same([...k.keys.values()], [{ index: 1, method: 'crc', key: '' }, { index: 2, method: 'sha1', key: 's3cr3t#x' }, { index: 3, method: 'md5', key: 'k' }])
  t.same(parse('auth 0\n0 crc\n').use.index, 0)
  t.same(parse('auth 15\n15 crc\n').use.index, 15)
})

t.test('refusals name file:line and say what to do', async (t) => {
  const cases: [string, RegExp][] = [
    ['1 crc\nauth 1\n', /authkeys:1: the first line must be auth N/],
    ['auth 2\n1 crc\n', /authkeys:1: auth 2 names no key line/],
    ['auth 16\n16 crc\n', /authkeys:1: key number 16: write a number from 0 to 15/],
    ['auth x\n', /authkeys:1: key number x/],
    ['Auth 1\n1 crc\n', /authkeys:1: the first line must be auth N/],
    ['auth 1\n1 CRC\n', /authkeys:2: method CRC: write crc, md5 or sha1/],
    ['auth 1\n1 md5\n', /authkeys:2: md5 needs a key/],
    ['auth 1\n1 crc # c\n', /authkeys:2: crc takes no key/],
    ['auth 1\n1 sha1 two words\n', /authkeys:2: the key is one word/],
    ['auth 1\n1 crc\n1 md5 x\n', /authkeys:3: key 1 is defined twice/],
    ['auth 1\n1 crc\nauth 1\n', /authkeys:3: a second auth line/],
    ['# nothing\n', /authkeys: no auth line/],
  ]
  for (const [text, expected] of cases) t.throws(() => parse(text), { name: 'ConfigError', message: expected }, text)
})

t.test('a key file open to group or others is refused with chmod 600', async (t) => {
  t.doesNotThrow(() => checkAuthKeysMode(file, 0o100600))
  t.doesNotThrow(() => checkAuthKeysMode(file, 0o100700), 'only group and other bits matter')
  t.doesNotThrow(() => checkAuthKeysMode(file, 0o100400))
  for (const mode of [0o640, 0o604, 0o660, 0o602]) {
    t.throws(() => checkAuthKeysMode(file, mode), { message: /^\/etc\/ha\.d\/authkeys: .*run chmod 600 \/etc\/ha\.d\/authkeys$/ })
  }
  const dir = mkdtempSync(join(tmpdir(), 'halo-authkeys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'authkeys')
  writeFileSync(path, 'auth 1\n1 sha1 k\n')
  chmodSync(path, 0o644)
  t.throws(() => readAuthKeys(path), { message: /mode 644\): run chmod 600/ })
  chmodSync(path, 0o600)
  t.equal(readAuthKeys(path).use.key, 'k')
  t.throws(() => readAuthKeys(join(dir, 'missing')), { message: /missing: cannot read it/ })
})

t.test('every wrong line is reported, each with its line, as Heartbeat does', async (t) => {
  const text = 'auth 1\n1 sha1\n2 CRC\n3 md5 k\n3 md5 k\n'
  t.throws(() => parse(text), {
    name: 'ConfigErrors',
    message: [
      `${file}:2: sha1 needs a key: write 1 sha1 YourSecret`,
      `${file}:3: method CRC: write crc, md5 or sha1 (sha1 is best)`,
      `${file}:5: key 3 is defined twice: keep one line for it`,
      `${file}:1: auth 1 names no key line: add "1 sha1 YourSecret"`,
    ].join('\n'),
  })
})
