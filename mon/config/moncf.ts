/**
 * mon.cf → typed config, reading what mon 1.3 reads (reference/mon.md; the records in the order mon
 * tries them): globals `name = value` outside watches, then records `hostgroup`, `watch` (and mon's
 * `alias` and `view`, kept for the client protocol). A blank line ends a record; what follows it outside
 * any record mon ignores without a word, and halo ignores it too (so both run the same services) but
 * returns a warning naming file:line for each such run of lines.
 * Errors are ConfigErrors at file:line, mostly where mon also stops; halo is stricter only where mon reads
 * nonsense silently (an unclosed quote in a monitor line, a bad value for a number). mon stops at the first
 * error; halo reads on and reports every error that does not follow from an earlier one (the lines of a
 * watch, service or period it could not read are skipped, not reported again).
 */
import { ConfigError, throwConfigErrors } from '../../lib/errors.ts'
import { type MonCfLine, type MonCfWarning, type ReadOptions, readMonCfLines, monCfLines } from './moncf-read.ts'
import { type Fail, type Warn, type Inherited, type LineReader, type Service, depBehavior, serviceReader, unackSummary } from './moncf-service.ts'
import { type Period, parsePeriod } from './period.ts'
import { monCfTime, parseDuration } from '../../lib/time.ts'

export type { MonCfWarning, ReadOptions } from './moncf-read.ts'
export type * from './moncf-service.ts'

type GlobalSyntax = (value: string, fail: Fail, warn: (why: string) => void, at: MonCfLine) => unknown

const text = (v: string) => v
/** mondir and alertdir may list several directories: the first holding the program wins */
const dirList = (v: string) => v.split(/\s*:\s*/).filter(Boolean)
const count = (v: string, fail: Fail) => (/^\d+$/.test(v) ? Number(v) : fail(`'${v}' is not a whole number: write one, e.g. 20`))
const port = (v: string, fail: Fail) =>
  /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? Number(v) : fail(`'${v}' is not a port: write 1-65535, e.g. 2583`)
const duration = (v: string, fail: Fail) =>
  parseDuration(v, monCfTime) ?? fail(`'${v}' is not a time: write a number and a unit, s m h d (e.g. 60s)`)
const words = (v: string) => v.split(/\s+/).filter(Boolean)
/** mon's clientallow: blank-separated patterns, each matching a client's whole address, a bare `.` a dot. */
export function clientPatterns(text: string): RegExp[] {
  return text.split(/\s+/).filter(Boolean).map((p) => new RegExp(`^(?:${p.replace(/([^[\\])\./g, '$1\\.')})$`))
}

/** mon takes what it knows as yes, and anything else as no; halo says so */
const yesNo = (yes: RegExp) => (v: string, _fail: Fail, warn: Warn) => {
  if (!yes.test(v) && !/^(0|no|false|off)$/i.test(v)) warn(`'${v}' is taken as no, as mon does: write yes or no`)
  return yes.test(v)
}

/** A global halo-mon reads but does not act on: the value kept, a warning at its line. */
const notInHalo = <T>(why: string, syntax: (v: string, fail: Fail) => T) => (v: string, fail: Fail, warn: Warn) => {
  warn(`halo-mon ${why}`)
  return syntax(v, fail)
}
/** mon's ways of checking a login's password, tried in the order written */
const authTypes = ['getpwnam', 'userfile', 'pam', 'trustlocal', 'shadow']
const authtype = (v: string, fail: Fail, warn: Warn) => {
  const types = words(v)
  for (const type of types) if (!authTypes.includes(type)) fail(`'${type}' is no authtype: write one or more of getpwnam, userfile, pam, trustlocal`)
  if (types.includes('shadow')) warn("authtype shadow accepts no one, in mon as in halo-mon: write getpwnam, which checks the shadow password")
  return types
}
const dependencies = 'does not evaluate dependencies (depend and its kin): the services are checked and alert as if they had none'

const globalSyntax = {
  alertdir: dirList,
  basedir: text,
  cfbasedir: text,
  mondir: dirList,
  logdir: text,
  histlength: count,
  serverport: port,
  trapport: port,
  serverbind: text,
  clientallow: (v: string, fail: Fail) => {
    try {
      return clientPatterns(v)
    } catch {
      return fail(`'${v}' is not a list of regular expressions: write patterns of client addresses, e.g. 127.0.0.1 10.1.2.\\d+`)
    }
  },
  trapbind: text,
  pidfile: text,
  randstart: duration,
  maxprocs: notInHalo('ignores maxprocs: each service runs at most one monitor at a time', count),
  statedir: text,
  authfile: text,
  authtype,
  pamservice: text,
  userfile: text,
  historicfile: notInHalo('keeps the alert history in memory only (list alerthist), not in historicfile', text),
  historictime: duration,
  cltimeout: notInHalo('does not close idle clients: cltimeout is ignored', duration),
  monerrfile: text,
  dtlogfile: text,
  dtlogging: (v: string, fail: Fail, warn: Warn) => {
    const on = yesNo(/^(1|yes|true)$/)(v, fail, warn)
    if (on) warn('halo-mon keeps no downtime log: dtlogging is ignored')
    return on
  },
  dep_recur_limit: notInHalo(dependencies, count),
  dep_behavior: notInHalo(dependencies, depBehavior),
  dep_memory: notInHalo(dependencies, duration),
  unack_summary: unackSummary,
  syslog_facility: text,
  startupalerts_on_reset: yesNo(/^(1|yes|true|on)$/i),
  monremote: notInHalo('does not run monremote: disable, enable and ack stay on this host', text),
  exclude_period: (v: string, _fail: Fail, _warn: unknown, at: MonCfLine): Period => parsePeriod(v, at.file, at.line),
} satisfies Record<string, GlobalSyntax>

/** The globals the file sets, by their mon.cf names; halo-mon applies mon's defaults to the rest. */
export type MonGlobals = { -readonly [K in keyof typeof globalSyntax]?: ReturnType<(typeof globalSyntax)[K]> }

/** A service takes these from the globals written above it (mon keeps them as it reads, not in its config). */
function inherited(globals: MonGlobals): Inherited {
  return { depBehavior: globals.dep_behavior ?? 'a', depMemory: globals.dep_memory, unackSummary: globals.unack_summary ?? false }
}

export interface Watch {
  /** also the hostgroup it watches */
  name: string
  /** the hostgroup's hosts; a watch with no hostgroup watches the one host of its name */
  hosts: string[]
  services: Service[]
  file: string
  line: number
}

export interface MonCf {
  file: string
  globals: MonGlobals
  /** where each global was set (the last time), for errors found once the globals are resolved */
  globalAt: { [K in keyof MonGlobals]?: MonCfLine }
  hostgroups: Map<string, string[]>
  watches: Watch[]
  /** `alias NAME` records (mon.cgi's), their lines as written */
  aliases: Map<string, string[]>
  /** `view NAME group…` records: which groups a client's view shows */
  views: Map<string, Set<string>>
}

export interface MonCfResult {
  config: MonCf
  warnings: MonCfWarning[]
}

/**
 * Reads mon.cf; throws its errors (all of them), or with `errors` given, adds them there and returns what
 * it could read (so the caller can add its own checks' errors before throwing them all).
 */
export async function readMonCf(path: string, opts: ReadOptions & { errors?: ConfigError[] } = {}): Promise<MonCfResult> {
  return checked(parseRecords(await readMonCfLines(path, opts), path), opts.errors)
}

/** Parses mon.cf text already in hand (no m4). */
export function parseMonCf(text: string, file: string): MonCfResult {
  return checked(parseRecords(monCfLines(text, file), file))
}

function checked({ errors, ...result }: MonCfResult & { errors: ConfigError[] }, collect?: ConfigError[]): MonCfResult {
  if (collect) collect.push(...errors)
  else throwConfigErrors(errors)
  return result
}

type InRecord =
  | { kind: 'none'; ended?: { kind: string; name: string; at: MonCfLine } }
  | { kind: 'hostgroup'; name: string }
  | { kind: 'alias'; name: string }
  | { kind: 'view'; name: string }
  | { kind: 'watch'; watch: Watch; services: LineReader }
  /** a watch whose line was wrong: its lines are skipped up to the blank line that ends it */
  | { kind: 'broken' }

// the record lines, as mon matches them (what follows a watch name is not looked at)
const globalLine = /^(\w+)\s*=\s*(.*)$/
const hostgroupLine = /^hostgroup\s+([a-zA-Z0-9_.-]+)\s*(.*)$/
const aliasLine = /^alias\s+([a-zA-Z0-9_.-]+)\s*$/
const viewLine = /^view\s+([a-zA-Z0-9_.-]+)\s+(.*)$/
const watchLine = /^watch\s+([a-zA-Z0-9_.-]+)/

function parseRecords(read: { lines: MonCfLine[]; warnings: MonCfWarning[] }, file: string): MonCfResult & { errors: ConfigError[] } {
  const config: MonCf = { file, globals: {}, globalAt: {}, hostgroups: new Map(), watches: [], aliases: new Map(), views: new Map() }
  const warnings = [...read.warnings]
  const errors: ConfigError[] = []
  const groupAt = new Map<string, MonCfLine>()
  let record: InRecord = { kind: 'none' }
  let ignored: { first: MonCfLine; last: MonCfLine; why: string } | undefined
  const flushIgnored = () => {
    if (!ignored) return
    const { first, last, why } = ignored
    const span = last === first ? 'this line' : `lines ${first.line}-${last.line}`
    warnings.push({ file: first.file, line: first.line, text: `mon ignores ${span}, and so does halo: ${why}` })
    ignored = undefined
  }

  /** One line into config; true when mon ignores it (kept for one warning per run of such lines). */
  const readLine = (at: MonCfLine, fail: Fail, warn: Warn): boolean => {
    const l = at.text
    let m: RegExpExecArray | null
    if (record.kind === 'broken' && l !== '') {
      // already reported at the watch line
    } else if (record.kind !== 'watch' && (m = globalLine.exec(l))) {
      const [, name, value] = m
      if (!Object.hasOwn(globalSyntax, name)) {
        fail(`unknown global '${name}': the globals are ${Object.keys(globalSyntax).join(', ')}`)
      }
      const key = name as keyof typeof globalSyntax
      const syntax: GlobalSyntax = globalSyntax[key]
      ;(config.globals as { [k: string]: unknown })[key] = syntax(value, (why) => fail(`${name}: ${why}`), warn, at)
      config.globalAt[key] = at
    } else if (l === '') {
      record = { kind: 'none', ended: endedBy(record, at) ?? (record.kind === 'none' ? record.ended : undefined) }
    } else if ((m = hostgroupLine.exec(l))) {
      const name = m[1]
      if (groupAt.has(name)) {
        warn(`hostgroup ${name} was already defined at line ${groupAt.get(name)!.line}: this one replaces it, as in mon`)
      }
      config.hostgroups.set(name, m[2].split(/\s+/).filter(Boolean))
      groupAt.set(name, at)
      record = { kind: 'hostgroup', name }
    } else if (record.kind === 'hostgroup') {
      const hosts = l.split(/\s+/)
      if (/^(watch|service|hostgroup)$/.test(hosts[0])) {
        warn(`hostgroup ${record.name} takes '${hosts[0]}' as a host, as mon does: a hostgroup runs until a blank line; put one before this line`)
      }
      config.hostgroups.get(record.name)!.push(...hosts)
    } else if ((m = aliasLine.exec(l))) {
      config.aliases.set(m[1], [])
      record = { kind: 'alias', name: m[1] }
    } else if (record.kind === 'alias') {
      config.aliases.get(record.name)!.push(l)
    } else if ((m = viewLine.exec(l))) {
      config.views.set(m[1], new Set(m[2].split(/\s+/)))
      record = { kind: 'view', name: m[1] }
    } else if (record.kind === 'view') {
      for (const group of l.split(/\s+/)) config.views.get(record.name)!.add(group)
    } else if ((m = watchLine.exec(l))) {
      const name = m[1]
      // until it is read: a watch halo cannot take has its lines skipped, not each reported
      record = { kind: 'broken' }
      if (config.watches.some((w) => w.name === name)) fail(`watch ${name} is defined twice: merge the two into one`)
      if (!config.hostgroups.has(name)) {
        warn(`watch ${name} has no hostgroup (none defined above it): it watches the single host '${name}', as in mon`)
        config.hostgroups.set(name, [name])
      }
      const watch: Watch = { name, hosts: [], services: [], file: at.file, line: at.line }
      config.watches.push(watch)
      record = { kind: 'watch', watch, services: serviceReader(watch.name, watch.services, () => inherited(config.globals)) }
    } else if (record.kind === 'watch') {
      record.services(at, fail, warn)
    } else {
      const ended = record.kind === 'none' ? record.ended : undefined
      const why = ended
        ? `the blank line at ${ended.at.line} ended ${ended.kind} ${ended.name}; remove that blank line if this belongs to it`
        : 'it is not inside a hostgroup or watch record; start one (hostgroup NAME hosts… / watch NAME) or remove it'
      ignored = ignored ? { ...ignored, last: at } : { first: at, last: at, why }
      return true
    }
    return false
  }

  for (const at of read.lines) {
    const fail: Fail = (why) => {
      throw new ConfigError(at.file, at.line, why)
    }
    // an earlier run of ignored lines is reported before what this line says
    const warn = (why: string) => {
      flushIgnored()
      warnings.push({ file: at.file, line: at.line, text: why })
    }
    let ignoredNow = false
    try {
      ignoredNow = readLine(at, fail, warn)
    } catch (e) {
      // the next line is read all the same: an error that follows from this one is not reported again
      if (!(e instanceof ConfigError)) throw e
      errors.push(e)
    }
    if (!ignoredNow) flushIgnored()
  }
  flushIgnored()

  for (const watch of config.watches) watch.hosts = config.hostgroups.get(watch.name)!
  for (const name of config.hostgroups.keys()) {
    const at = groupAt.get(name)
    if (at && !config.watches.some((w) => w.name === name)) {
      warnings.push({ file: at.file, line: at.line, text: `hostgroup ${name} has no watch: nothing monitors it (mon warns too)` })
    }
  }
  return { config, warnings, errors }
}

function endedBy(record: InRecord, at: MonCfLine): { kind: string; name: string; at: MonCfLine } | undefined {
  if (record.kind === 'none' || record.kind === 'broken') return undefined
  return { kind: record.kind, name: record.kind === 'watch' ? record.watch.name : record.name, at }
}
