/**
 * The files both nodes of a pair must agree on, read for comparing them across the pair (`halo check
 * --peer`): ha.cf, haresources, authkeys, recovery.cf (halo's local recovery policy), mon.cf and DRBD's
 * resource files. What may be sent to the peer
 * or shown: authkeys only as a digest (never a word of it), a file larger than TEXT_CAP as a digest, and
 * the lines that carry a password (ha.cf's stonith_host, DRBD's shared-secret) as a digest each. The
 * digests are salted with the request's random salt, so they match only within one comparison.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { errorMessage } from '../lib/errors.ts'

export interface ClusterFilesSpec {
  /** Heartbeat's configuration folder (/etc/ha.d) */
  confDir: string
  /** /etc/mon/mon.cf */
  monCf: string
  /** /etc/drbd.d: its *.res files */
  drbdDir: string
}

export interface SharedFile {
  /** the same on both nodes: ha.cf, haresources, authkeys, recovery.cf, mon.cf, drbd.d/r0.res */
  name: string
  /** where it is on its node */
  path: string
  state: 'present' | 'missing' | 'unreadable'
  /** sha256 of the salt and the content, hex */
  digest?: string
  /** the content with its secret lines replaced; absent for authkeys and for a file larger than TEXT_CAP */
  text?: string
  /** why there is no text, or why it could not be read */
  why?: string
}

/** the largest file compared line by line; a larger one is compared by digest */
export const TEXT_CAP = 16 * 1024

const SECRET_LINE: Record<string, RegExp> = {
  'ha.cf': /^\s*stonith_host\b/,
  drbd: /\bshared-secret\b/,
}

const saltedDigest = (salt: string, content: string | Buffer): string => createHash('sha256').update(salt).update(content).digest('hex')

function readOne(name: string, path: string, salt: string): SharedFile {
  if (!existsSync(path)) return { name, path, state: 'missing' }
  let content: Buffer
  try {
    content = readFileSync(path)
  } catch (e) {
    return { name, path, state: 'unreadable', why: errorMessage(e) }
  }
  const digest = saltedDigest(salt, content)
  if (name === 'authkeys') return { name, path, state: 'present', digest, why: 'the secret: compared by digest' }
  if (content.length > TEXT_CAP) return { name, path, state: 'present', digest, why: `larger than ${TEXT_CAP / 1024} KiB: compared by digest` }
  const secret = SECRET_LINE[name.startsWith('drbd.d/') ? 'drbd' : name]
  const text = content
    .toString('utf8')
    .split('\n')
    .map((line) => (secret?.test(line) ? `${line.match(/^\s*[\w-]+/)?.[0] ?? ''} … (holds a password: digest ${saltedDigest(salt, line).slice(0, 12)})` : line))
    .join('\n')
  return { name, path, state: 'present', digest, text }
}

/** Every file of the spec, in a fixed order: the name lists of both nodes line up. */
export function readClusterFiles(spec: ClusterFilesSpec, salt: string): SharedFile[] {
  const files = ['ha.cf', 'haresources', 'authkeys', 'recovery.cf'].map((n) => readOne(n, join(spec.confDir, n), salt))
  files.push(readOne('mon.cf', spec.monCf, salt))
  let res: string[] = []
  try {
    res = readdirSync(spec.drbdDir).filter((f) => f.endsWith('.res')).sort()
  } catch {
    // no DRBD on this node: nothing of it to compare
  }
  for (const f of res) files.push(readOne(`drbd.d/${f}`, join(spec.drbdDir, f), salt))
  return files
}
