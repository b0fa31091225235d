/**
 * mon.cf as mon reads it, line by line, before any keyword is looked at:
 *   - a line whose first non-blank is `#` is skipped, even in the middle of a continued line
 *   - a trailing `\` joins the next line, whose leading blanks are dropped (`a\` + `  b` is `ab`)
 *   - lines are trimmed; an empty line is kept, because a blank line ends a record
 * A file named *.m4 (or any file when asked, like mon -M) is run through m4 first; m4 -s marks where
 * each output line came from, so errors name the admin's own file and line, even in an included file.
 */
import { ConfigError } from '../../lib/errors.ts'
import { run } from '../../lib/exec.ts'
import { readConfigFile } from '../../lib/config/lines.ts'

export interface MonCfLine {
  /** trimmed, continuations joined; '' for a blank line */
  text: string
  file: string
  /** the first physical line, 1-based */
  line: number
}

export interface MonCfWarning {
  file: string
  line: number
  text: string
}

export interface ReadOptions {
  /** run the file through this m4 whatever its name (mon -M); *.m4 files use `m4` from PATH */
  m4?: string
}

/** m4 expanding itself forever must not hang the monitor's start */
const m4Timeout = 30_000

export async function readMonCfLines(path: string, opts: ReadOptions = {}): Promise<{ lines: MonCfLine[]; warnings: MonCfWarning[] }> {
  const m4 = opts.m4 ?? (path.endsWith('.m4') ? 'm4' : undefined)
  return m4 === undefined ? monCfLines(readConfigFile(path), path) : monCfLines(await expand(m4, path), path, true)
}

async function expand(m4: string, path: string): Promise<string> {
  // a missing file gets the same message as any config file, not m4's
  readConfigFile(path)
  const r = await run([m4, '-s', path], { timeout: m4Timeout }).catch(() => {
    throw new ConfigError(path, 0, `it is an m4 file but ${m4} cannot be run: install m4 (apt-get install m4), or name the file without .m4 if it uses no macros`)
  })
  if (r.code !== 0) {
    const why = r.timedOut ? `did not finish in ${m4Timeout / 1000} s (a macro that expands itself?)` : r.stderr.trim() || `exit ${r.code}`
    throw new ConfigError(path, 0, `m4 failed: ${why}`)
  }
  return r.stdout
}

/** Splits the text (a file, or m4 -s output whose sync lines say where lines come from) into logical lines. */
export function monCfLines(text: string, file: string, m4Output = false): { lines: MonCfLine[]; warnings: MonCfWarning[] } {
  const lines: MonCfLine[] = []
  const warnings: MonCfWarning[] = []
  let from = { file, line: 0 }
  let pending: MonCfLine | undefined
  const physical = text.split('\n')
  if (physical.at(-1) === '') physical.pop()
  for (const raw of physical) {
    from = { file: from.file, line: from.line + 1 }
    const sync = m4Output ? /^#line (\d+)(?: "(.*)")?$/.exec(raw) : null
    if (sync) from = { file: sync[2] ?? from.file, line: Number(sync[1]) - 1 }
    if (/^\s*#/.test(raw)) continue
    const part = pending ? raw.trimStart() : raw
    const continued = /^(.*)\\\s*$/.exec(part)
    const start = pending ?? from
    const line = { text: (pending?.text ?? '') + (continued ? continued[1] : part), file: start.file, line: start.line }
    pending = continued ? line : undefined
    if (!continued) lines.push({ ...line, text: line.text.trim() })
  }
  if (pending) {
    warnings.push({ ...pending, text: 'the file ends in a line continued with \\: mon ignores that line; remove the \\ or add the rest' })
  }
  return { lines, warnings }
}
