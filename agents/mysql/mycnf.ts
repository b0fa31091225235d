/**
 * The server's own settings from its option file (my.cnf), so that the agent finds the datadir, pid file,
 * socket and error log the admin configured there. Follows !include and !includedir as the server does;
 * reads the groups mysqld and mariadbd read ([client-server], [server], [mysqld], [mariadb], [mariadbd]).
 * Names are compared as the server compares them: case-insensitive, `-` same as `_`, `loose-` ignored.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { parse } from 'ini'
import { ConfigError } from '../../lib/errors.ts'
import { OCF } from '../../lib/ocf/codes.ts'

const serverGroups = new Set(['client-server', 'server', 'mysqld', 'mariadb', 'mariadbd'])

export type ServerOptions = Map<string, string | true>

const optionName = (key: string) => key.toLowerCase().replace(/-/g, '_').replace(/^loose_/, '')

/** Options of the server groups, later files and lines winning. Throws ConfigError(5) when `file` is unreadable. */
export function readServerOptions(file: string, into: ServerOptions = new Map(), depth = 0): ServerOptions {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new ConfigError(file, 0, `cannot read the server's option file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, OCF.ERR_INSTALLED)
  }
  const includes: { line: number; dir: boolean; path: string }[] = []
  const plain = text.split('\n').map((line, i) => {
    const m = /^\s*!(include|includedir)\s+(.+?)\s*$/.exec(line)
    if (!m) return line
    const path = isAbsolute(m[2]) ? m[2] : join(dirname(file), m[2])
    includes.push({ line: i + 1, dir: m[1] === 'includedir', path })
    return ''
  })
  for (const [group, options] of Object.entries(parse(plain.join('\n')))) {
    if (!serverGroups.has(group.toLowerCase()) || typeof options !== 'object') continue
    for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
      if (typeof value === 'string' || value === true) into.set(optionName(key), value)
    }
  }
  if (depth > 10) throw new ConfigError(file, includes[0]?.line ?? 0, 'includes nested more than 10 deep (a loop?)')
  for (const inc of includes) {
    // as the server does: an included directory gives its *.cnf files in name order; a missing one is skipped
    const files = inc.dir ? listCnf(inc.path) : [inc.path]
    for (const f of files) readServerOptions(f, into, depth + 1)
  }
  return into
}

function listCnf(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cnf'))
      .sort()
      .map((f) => join(dir, f))
  } catch {
    return []
  }
}
