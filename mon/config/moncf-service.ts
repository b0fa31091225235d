/**
 * The inside of a mon.cf watch: `service TAG`, its keywords, then `period` sections with their alerts.
 * Once a service has a period, only period keywords follow (mon stops at a service keyword there).
 * Command lines (monitor, alerts, redistribute) keep their text and are split the way mon splits them:
 * the program is the first word; its arguments are split like Perl's quotewords (blanks separate,
 * '…' and "…" group, a backslash escapes the next character; nothing is expanded).
 */
import { monCfTime, parseDuration } from '../../lib/time.ts'
import { splitWords } from '../../lib/words.ts'
import type { MonCfLine } from './moncf-read.ts'
import { type Period, parsePeriod } from './period.ts'

export type Fail = (why: string) => never
export type Warn = (why: string) => void
export type LineReader = (at: MonCfLine, fail: Fail, warn: Warn) => void
export type DepBehavior = 'a' | 'm' | 'hm'

export interface Command {
  /** as written after the keyword */
  text: string
  /** the program: a file name looked up in mondir or alertdir */
  name: string
  args: string[]
}

export interface MonitorCommand extends Command {
  /** the line ended in `;;`: the group's hosts are not appended */
  noHosts: boolean
}

/** Inclusive exit codes */
export interface ExitRange {
  from: number
  to: number
}

export interface Alert extends Command {
  /** `exit=N[-M]` first: only for those monitor exit codes */
  exit?: ExitRange
}

export type AlertEveryMode = 'summary' | 'strict' | 'ignore_summary' | 'observe_detail'

export interface AlertPeriod {
  /** the label before `:`, or the spec itself when there is none (mon's key for it) */
  label: string
  period: Period
  file: string
  line: number
  alert: Alert[]
  upalert: Alert[]
  startupalert: Alert[]
  ackalert: Alert[]
  disablealert: Alert[]
  /** `summary` (the default): again early when the summary changes */
  alertevery?: { interval: number; mode: AlertEveryMode }
  /** `alertafter N`: failures; `alertafter T`: within; `alertafter N T`: both */
  alertafter?: { failures?: number; within?: number }
  upalertafter?: number
  numalerts?: number
  noCompAlerts: boolean
  alertsDontCount: boolean
  alertexitrange?: ExitRange
}

/** What a service takes from the globals above it */
export interface Inherited {
  depBehavior: DepBehavior
  depMemory: number | undefined
  unackSummary: boolean
}

export interface Service extends Inherited {
  name: string
  file: string
  line: number
  /** VAR=value lines, given to monitors and alerts */
  env: { [name: string]: string }
  /** times in ms */
  interval?: number
  /** interval or failure_interval written in ms (halo's unit, which mon cannot read): kept to the ms by the
   * service's own timer, not on mon's 1-second tick */
  exactTimer: boolean
  failureInterval?: number
  randskew?: number
  monitor?: MonitorCommand
  /** halo's `monitor_timeout T`: a check running longer is killed and is a failure (default: the interval) */
  monitorTimeout?: number
  allowEmptyGroup: boolean
  description?: string
  /** dependency expressions, SELF: already replaced by this watch's name */
  depend?: string
  alertdepend?: string
  monitordepend?: string
  hostdepend?: string
  excludeHosts: string[]
  excludePeriod?: Period
  redistribute?: Command
  traptimeout?: number
  trapduration?: number
  periods: AlertPeriod[]
}

export function depBehavior(v: string, fail: Fail): DepBehavior {
  return v === 'a' || v === 'm' || v === 'hm' ? v : fail(`dep_behavior '${v}': write a, m or hm`)
}

export function unackSummary(v: string, fail: Fail): boolean {
  if (/^(1|y|yes)$/i.test(v)) return true
  if (/^(0|n|no)$/i.test(v)) return false
  return fail(`unack_summary '${v}': write 1, yes, 0 or no`)
}

/** mon refuses 0 for every time inside a watch */
function positiveTime(keyword: string, v: string, fail: Fail): number {
  const ms = parseDuration(v, monCfTime)
  if (ms === undefined || ms <= 0) fail(`${keyword} '${v}': write a positive time with its unit, s m h or d (e.g. 5m)`)
  return ms!
}

function exitRange(v: string): ExitRange | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v)
  return m ? { from: Number(m[1]), to: Number(m[2] ?? m[1]) } : undefined
}

function command(keyword: string, text: string, fail: Fail): Command {
  const m = /^(\S+)\s*(.*)$/.exec(text) ?? fail(`${keyword} needs a program: write ${keyword} NAME [args…]`)
  try {
    return { text, name: m[1], args: splitWords(m[2], keyword) }
  } catch {
    // mon would silently run it with no arguments at all
    return fail(`${keyword} ${text}: a quote is not closed; close it`)
  }
}

function monitorCommand(text: string, fail: Fail): MonitorCommand {
  const noHosts = /;;$/.test(text)
  return { ...command('monitor', text.replace(/\s*;;$/, ''), fail), text, noHosts }
}

function alertCommand(keyword: string, text: string, fail: Fail, warn: Warn): Alert {
  if (!/^exit\s*=/i.test(text)) return command(keyword, text, fail)
  const m = /^exit=(\S+)\s+(.*)$/i.exec(text)
  const exit = m ? exitRange(m[1]) : undefined
  if (!m || !exit) return fail(`${keyword} ${text}: write exit=N or exit=N-M, then the alert (no blanks around =)`)
  if (exit.from > exit.to) warn(`${keyword} exit=${m[1]}: no exit code is in that range, so it never runs: write the smaller number first`)
  return { ...command(keyword, m[2], fail), text, exit }
}

const serviceKeywords = new Set([
  'interval', 'monitor_timeout', 'failure_interval', 'randskew', 'monitor', 'allow_empty_group', 'description', 'depend', 'alertdepend',
  'monitordepend', 'hostdepend', 'dep_behavior', 'dep_memory', 'exclude_hosts', 'exclude_period', 'redistribute',
  'traptimeout', 'trapduration', 'unack_summary',
])
const periodKeywords = [
  'alert', 'upalert', 'startupalert', 'ackalert', 'disablealert', 'alertevery', 'alertafter', 'upalertafter', 'numalerts',
  'no_comp_alerts', 'alerts_dont_count', 'alertexitrange',
]

/**
 * Reads the lines of one watch into `services`. After a wrong service or period line, the lines that
 * belong to it are skipped up to the next service (or period): their errors would only follow from it.
 */
export function serviceReader(watch: string, services: Service[], inherited: () => Inherited): LineReader {
  let service: Service | undefined
  let period: AlertPeriod | undefined
  let skipping: 'service' | 'period' | undefined
  return (at, fail, warn) => {
    const env = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(at.text)
    const m = /^(\w+)\s*(.*)$/.exec(at.text)
    if (m?.[1] === 'service') {
      // set until the line is read: a wrong one throws with it set
      skipping = 'service'
      service = readService(m[2], services, watch, at, fail, inherited)
      period = undefined
      skipping = undefined
      return
    }
    if (m?.[1] === 'period' && skipping !== 'service' && service) {
      skipping = 'period'
      period = readPeriod(m[2], service, at, fail)
      service.periods.push(period)
      skipping = undefined
      return
    }
    if (skipping) return
    if (!m) return fail(`cannot read '${at.text}': write a keyword first (service, period, monitor…)`)
    const [, keyword, args] = m
    if (!service) {
      skipping = 'service'
      return fail(`'${keyword}' before any service in watch ${watch}: start with service NAME`)
    }
    if (env) {
      service.env[env[1]] = env[2]
    } else if (period) {
      if (serviceKeywords.has(keyword)) fail(`${keyword} is a service keyword but comes after a period of service ${service.name}: move it above the first period`)
      readPeriodKeyword(keyword, args, period, service, fail, warn)
    } else {
      readServiceKeyword(keyword, args, service, watch, at, fail, warn)
    }
  }
}

function readService(name: string, services: Service[], watch: string, at: MonCfLine, fail: Fail, inherited: () => Inherited): Service {
  if (!/^[a-zA-Z0-9_.-]+$/.test(name)) fail(`service '${name}': a service name is letters, digits, _ . and - only`)
  if (services.some((s) => s.name === name)) fail(`service ${name} is defined twice in watch ${watch}: rename or merge one`)
  const service: Service = {
    name, file: at.file, line: at.line, env: {}, exactTimer: false, allowEmptyGroup: false, excludeHosts: [], periods: [], ...inherited(),
  }
  services.push(service)
  return service
}

/** What halo-mon reads but does not do: said once per line, so no mon.cf silently means less than it says. */
const notInHalo: Record<string, string> = {
  depend: 'halo-mon does not evaluate dependencies: this service is checked and alerts as if it had none',
  redistribute: 'halo-mon does not redistribute alerts: only the alerts of this service\'s periods run',
  traptimeout: 'halo-mon receives no traps: this service is only checked by its monitor',
}
for (const k of ['alertdepend', 'monitordepend', 'hostdepend', 'dep_behavior', 'dep_memory']) notInHalo[k] = notInHalo.depend
notInHalo.trapduration = notInHalo.traptimeout

function readServiceKeyword(keyword: string, args: string, service: Service, watch: string, at: MonCfLine, fail: Fail, warn: Warn): void {
  const dependency = () => args.replace(/SELF:/g, `${watch}:`)
  if (Object.hasOwn(notInHalo, keyword)) warn(`${keyword}: ${notInHalo[keyword]}`)
  if ((keyword === 'interval' || keyword === 'failure_interval') && /ms$/i.test(args)) service.exactTimer = true
  switch (keyword) {
    case 'interval': service.interval = positiveTime(keyword, args, fail); break
    case 'monitor_timeout': service.monitorTimeout = positiveTime(keyword, args, fail); break
    case 'failure_interval': service.failureInterval = positiveTime(keyword, args, fail); break
    case 'randskew': service.randskew = positiveTime(keyword, args, fail); break
    case 'traptimeout': service.traptimeout = positiveTime(keyword, args, fail); break
    case 'trapduration': service.trapduration = positiveTime(keyword, args, fail); break
    case 'dep_memory': service.depMemory = positiveTime(keyword, args, fail); break
    case 'monitor': service.monitor = monitorCommand(args, fail); break
    case 'redistribute': service.redistribute = command(keyword, args, fail); break
    case 'allow_empty_group': service.allowEmptyGroup = true; break
    case 'description': service.description = args; break
    case 'depend': service.depend = dependency(); break
    case 'alertdepend': service.alertdepend = dependency(); break
    case 'monitordepend': service.monitordepend = dependency(); break
    case 'hostdepend': service.hostdepend = dependency(); break
    case 'dep_behavior': service.depBehavior = depBehavior(args, fail); break
    // the manual writes it bare
    case 'unack_summary': service.unackSummary = args === '' || unackSummary(args, fail); break
    case 'exclude_hosts': service.excludeHosts = args.split(/\s+/).filter(Boolean); break
    case 'exclude_period': service.excludePeriod = parsePeriod(args, at.file, at.line); break
    default:
      fail(`unknown keyword '${keyword}' in service ${service.name}: a service takes VAR=value, ${[...serviceKeywords].join(', ')}, period`)
  }
}

function readPeriod(args: string, service: Service, at: MonCfLine, fail: Fail): AlertPeriod {
  const labelled = /^([a-z_]\w*)\s*:\s*(.*)$/i.exec(args)
  const [label, spec] = labelled ? [labelled[1], labelled[2]] : [args, args]
  if (service.periods.some((p) => p.label === label)) {
    fail(`period '${label}' is defined twice in service ${service.name}: give one a label, as in period other: ${spec}`)
  }
  return {
    label, period: parsePeriod(spec, at.file, at.line), file: at.file, line: at.line,
    alert: [], upalert: [], startupalert: [], ackalert: [], disablealert: [], noCompAlerts: false, alertsDontCount: false,
  }
}

function readPeriodKeyword(keyword: string, args: string, period: AlertPeriod, service: Service, fail: Fail, warn: Warn): void {
  switch (keyword) {
    case 'alert':
    case 'upalert':
    case 'startupalert':
    case 'ackalert':
    case 'disablealert':
      period[keyword].push(alertCommand(keyword, args, fail, warn))
      break
    case 'alertevery': {
      const [time, mode = 'summary', ...more] = args.split(/\s+/)
      const m = mode.toLowerCase()
      if (more.length || !['summary', 'strict', 'ignore_summary', 'observe_detail'].includes(m)) {
        fail(`alertevery ${args}: write alertevery TIME [strict | summary | ignore_summary | observe_detail]`)
      }
      period.alertevery = { interval: positiveTime(keyword, time, fail), mode: m as AlertEveryMode }
      break
    }
    case 'alertafter':
      period.alertafter = alertAfter(args, service, fail)
      break
    case 'upalertafter': period.upalertafter = positiveTime(keyword, args, fail); break
    case 'numalerts':
      period.numalerts = /^\d+$/.test(args) ? Number(args) : fail(`numalerts '${args}': write a whole number`)
      break
    case 'no_comp_alerts': period.noCompAlerts = true; break
    case 'alerts_dont_count': period.alertsDontCount = true; break
    case 'alertexitrange':
      period.alertexitrange = exitRange(args) ?? fail(`alertexitrange '${args}': write N or N-M (exit codes)`)
      break
    default:
      fail(`unknown keyword '${keyword}' in period '${period.label}' of service ${service.name}: a period takes ${periodKeywords.join(', ')}`)
  }
}

function alertAfter(args: string, service: Service, fail: Fail): { failures?: number; within?: number } {
  const usage = `alertafter ${args}: write alertafter N, alertafter N TIME or alertafter TIME (e.g. alertafter 3 30m)`
  const words = args.split(/\s+/)
  if (words.length === 1 && /^\d+$/.test(words[0])) return { failures: Number(words[0]) }
  if (words.length === 1) return { within: positiveTime('alertafter', words[0], fail) }
  if (words.length !== 2 || !/^\d+$/.test(words[0])) return fail(usage)
  const failures = Number(words[0])
  const within = positiveTime('alertafter', words[1], fail)
  if (service.interval !== undefined && (failures - 1) * service.interval >= within) {
    fail(`alertafter ${args}: ${failures} failures ${service.interval / 1000} s apart never fit in ${words[1]}, so no alert could ever be sent: lengthen the time or lower the count`)
  }
  return { failures, within }
}
