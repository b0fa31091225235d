/**
 * What ha.cf, haresources and authkeys (and mon's auth.cf and userfile) share: numbered lines, comments,
 * booleans. The three Heartbeat files treat `#` differently (measured on Heartbeat 3.0.6), so the caller says which rule:
 *   ha.cf:        `#` anywhere starts a comment (`bcast eth0#x` is `bcast eth0`)
 *   haresources:  `#` starts a comment at the start of a word (`nodea#x` is a node name)
 *   authkeys:     only a line whose first non-blank is `#` is a comment (`k#x` is a key); mon's files too
 */
import { readFileSync } from 'node:fs'
import { ConfigError, errorMessage } from '../errors.ts'

export type CommentRule = 'anywhere' | 'word' | 'line'

export interface Line {
  /** 1-based, for ConfigError */
  no: number
  /** comment removed, blanks trimmed; never empty */
  text: string
}

const commentAt: Record<CommentRule, RegExp> = {
  anywhere: /#.*$/,
  word: /(^|\s)#.*$/,
  line: /^\s*#.*$/,
}

export function configLines(text: string, comments: CommentRule): Line[] {
  const lines: Line[] = []
  text.split('\n').forEach((raw, i) => {
    const stripped = raw.replace(commentAt[comments], '').trim()
    if (stripped) lines.push({ no: i + 1, text: stripped })
  })
  return lines
}

/** Heartbeat's booleans, any case: true/on/yes/y/1 and false/off/no/n/0. */
export function parseBoolean(text: string): boolean | undefined {
  const t = text.toLowerCase()
  if (['true', 'on', 'yes', 'y', '1'].includes(t)) return true
  if (['false', 'off', 'no', 'n', '0'].includes(t)) return false
  return undefined
}

/** The file's text; a ConfigError naming it when it cannot be read. */
export function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(path, 0, `cannot read it (${errorMessage(err)}): create it or fix its permissions`)
  }
}
