/**
 * /etc/ha.d/authkeys: `auth N` (the key that signs what we send), then `N method [key]` lines.
 * As Heartbeat 3.0.6 reads it (measured): only whole lines starting with # are comments (`k#x` is a
 * key), N is 0–15, crc takes no key, md5 and sha1 need one; a group or other permission bit is fatal.
 * The types are the ones the wire code signs with.
 */
import { statSync } from 'node:fs'
import { ConfigError, collectConfigError, throwConfigErrors } from '../../lib/errors.ts'
import { configLines, readConfigFile } from '../../lib/config/lines.ts'

export type AuthMethod = 'crc' | 'md5' | 'sha1'
/** One line of authkeys; `key` is '' for crc. */
export interface AuthKey {
  index: number
  method: AuthMethod
  key: string
}
/** authkeys: `use` signs what we send; a peer may sign with any key in `keys`. */
export interface AuthKeys {
  use: AuthKey
  keys: Map<number, AuthKey>
}

const methods: readonly string[] = ['crc', 'md5', 'sha1']

export function parseAuthKeys(text: string, file: string): AuthKeys {
  const fail = (line: number, why: string): never => {
    throw new ConfigError(file, line, why)
  }
  const index = (word: string | undefined, no: number): number => {
    if (word === undefined || !/^\d+$/.test(word) || Number(word) > 15) fail(no, `key number ${word ?? '(none)'}: write a number from 0 to 15`)
    return Number(word)
  }
  let use: { index: number; line: number } | undefined
  const keys = new Map<number, AuthKey>()
  // every wrong line is reported, as Heartbeat does, then none of the file is used
  const errors: ConfigError[] = []
  /** an auth line was written (right or wrong), or its absence was said at the first key line */
  let authSaid = false
  for (const { no, text: line } of configLines(text, 'line')) {
    collectConfigError(errors, () => {
      const words = line.split(/\s+/)
      if (words[0] === 'auth') {
        authSaid = true
        if (use) fail(no, `a second auth line (the first is line ${use.line}): keep one`)
        use = { index: index(words[1], no), line: no }
        return
      }
      if (!use && !authSaid) {
        // said once, at the first key line: the auth line is missing or comes too late
        authSaid = true
        fail(no, 'the first line must be auth N, naming the key that signs: e.g. auth 1, then 1 sha1 YourSecret')
      }
      const [n, method, key, ...extra] = words
      const k = index(n, no)
      if (!methods.includes(method ?? '')) fail(no, `method ${method ?? '(none)'}: write crc, md5 or sha1 (sha1 is best)`)
      if (method === 'crc' && key !== undefined) fail(no, `crc takes no key: write ${k} crc, or use sha1 for a keyed signature`)
      if (method !== 'crc' && key === undefined) fail(no, `${method} needs a key: write ${k} ${method} YourSecret`)
      // Heartbeat signs with the first word only: a key that looks longer would not match its peer.
      if (extra.length > 0 && !extra[0].startsWith('#')) fail(no, `the key is one word (Heartbeat uses only "${key}"): remove the blanks from it`)
      if (keys.has(k)) fail(no, `key ${k} is defined twice: keep one line for it`)
      keys.set(k, { index: k, method: method as AuthMethod, key: key ?? '' })
    })
  }
  if (!authSaid) errors.push(new ConfigError(file, 0, 'no auth line: write auth 1, then 1 sha1 YourSecret'))
  const signing = use && keys.get(use.index)
  if (use && !signing) errors.push(new ConfigError(file, use.line, `auth ${use.index} names no key line: add "${use.index} sha1 YourSecret"`))
  throwConfigErrors(errors)
  return { use: signing!, keys }
}

/** Refuses a file anyone but its owner can read (the keys sign cluster messages). */
export function checkAuthKeysMode(path: string, mode = statSync(path).mode): void {
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(path, 0, `readable or writable by group or others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${path}`)
  }
}

export function readAuthKeys(path: string): AuthKeys {
  const text = readConfigFile(path)
  checkAuthKeysMode(path)
  return parseAuthKeys(text, path)
}
