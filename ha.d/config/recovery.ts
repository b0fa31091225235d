/**
 * /etc/ha.d/recovery.cf: halo's local recovery policy, beside ha.cf (a real Heartbeat reads ha.cf,
 * haresources and mon.cf unchanged, so the policy has a file of its own). One resource a line, in
 * Pacemaker's words, and a `default` line for the others:
 *
 *   default   migration-threshold=3 failure-timeout=10min
 *   appserver migration-threshold=5 failure-timeout=1h
 *   IPaddr::10.0.0.5/24 migration-threshold=0
 *   mysql     monitor=10s
 *   appserver watch=/run/linkserv.pid
 *
 * A resource is named as haresources names it: its script (`appserver`), or, when several resources run
 * the same script, its full spelling (`IPaddr::10.0.0.5/24`). migration-threshold: how many restarts in
 * place a resource gets within the window (INFINITY: no limit); the next failure moves its group to the
 * peer. failure-timeout: how long a failure is counted (a bare number is seconds; 0: for ever). monitor:
 * the engine runs the resource's status that often while this node holds its group, and a resource found
 * stopped is a failure (Pacemaker's op monitor, for clusters without halo-mon; 0, the default: off).
 * watch: the resource's pid file; while this node holds the group the engine watches the process it names
 * and its end is a failure seen within milliseconds, where a monitor or mon sees it only at its next check
 * (a crash costs the service the restart alone); a hung server lives on, so mon still checks the service.
 * A key a resource's line leaves out comes from the default line (watch excepted: a pid file is one
 * resource's).
 */
import { existsSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { ConfigError, collectConfigError, throwConfigErrors } from '../../lib/errors.ts'
import { configLines, readConfigFile } from '../../lib/config/lines.ts'
import { formatDuration, parseDuration, pacemakerTime } from '../../lib/time.ts'

export interface FailurePolicy {
  /** restarts in place allowed within the window; null: no limit (INFINITY) */
  threshold: number | null
  /** ms a failure is counted for; 0: for ever */
  windowMs: number
  /** ms between the engine's own status checks of the resource; 0: none */
  monitorMs: number
  /** the pid file of the process the engine watches (absent: none) */
  watch?: string
}

export interface RecoveryConfig {
  /** where it was read from; absent: no recovery.cf, the default policy for every resource */
  file?: string
  default: FailurePolicy
  /** by resource, as `script::arg::arg` */
  resources: Record<string, FailurePolicy>
}

/**
 * Without recovery.cf: three restarts in place within ten minutes, then the group moves. A crash that a
 * restart cures costs the service the restart alone; a crash loop moves to the healthy node instead of
 * restarting for ever (Pacemaker's own default, INFINITY, hides it); a failure of last month counts no more.
 */
export const DEFAULT_POLICY: FailurePolicy = { threshold: 3, windowMs: 600_000, monitorMs: 0 }

interface Named {
  script: string
  args: readonly string[]
  /** as haresources wrote it (a bare address for IPaddr), when known */
  text?: string
}

export const resourceName = (r: Named): string => [r.script, ...r.args].join('::')

/**
 * The resource `name` means among the groups' resources: its full spelling, or its script when only one
 * resource runs it. Undefined and why not, for the caller to say where.
 */
export function findResource<R extends Named>(groups: readonly { resources: readonly R[] }[], name: string): { resource: R } | { why: string } {
  const all = groups.flatMap((g) => g.resources)
  const exact = all.find((r) => resourceName(r) === name || r.text === name)
  if (exact) return { resource: exact }
  const byScript = all.filter((r) => r.script === name)
  if (byScript.length === 1) return { resource: byScript[0] }
  if (byScript.length > 1) return { why: `${name} is ambiguous: ${byScript.map(resourceName).join(', ')} run it; write the one meant in full` }
  return { why: `no resource of haresources is ${name} (there are ${all.map(resourceName).join(', ') || 'none'})` }
}

const KEYS = ['migration-threshold', 'failure-timeout', 'monitor', 'watch'] as const

export function parseRecoveryCf(text: string, file: string, groups: readonly { resources: readonly Named[] }[]): RecoveryConfig {
  const errors: ConfigError[] = []
  const lines: { no: number; name: string; set: Partial<FailurePolicy> }[] = []
  for (const { no, text: line } of configLines(text, 'anywhere')) {
    collectConfigError(errors, () => {
      const [name, ...pairs] = line.split(/\s+/)
      if (pairs.length === 0) throw new ConfigError(file, no, `${name}: say what to set, e.g. ${name} migration-threshold=3 failure-timeout=10min`)
      const set: Partial<FailurePolicy> = {}
      for (const pair of pairs) {
        const eq = pair.indexOf('=')
        const key = eq < 0 ? pair : pair.slice(0, eq)
        const value = eq < 0 ? '' : pair.slice(eq + 1)
        if (key === 'migration-threshold') {
          if (/^inf(inity)?$/i.test(value)) set.threshold = null
          else if (/^\d+$/.test(value)) set.threshold = Number(value)
          else throw new ConfigError(file, no, `migration-threshold=${value}: give a whole number of restarts (0: move at the first failure) or INFINITY`)
        } else if (key === 'failure-timeout') {
          const ms = parseDuration(value, pacemakerTime)
          if (ms === undefined) throw new ConfigError(file, no, `failure-timeout=${value}: give a time such as 600, 90s or 10min (0: failures are never forgotten)`)
          set.windowMs = ms
        } else if (key === 'monitor') {
          const ms = parseDuration(value, pacemakerTime)
          if (ms === undefined || (ms > 0 && ms < 100)) throw new ConfigError(file, no, `monitor=${value}: give an interval such as 10s (at least 100ms; 0: no monitoring)`)
          set.monitorMs = ms
        } else if (key === 'watch') {
          if (!isAbsolute(value)) throw new ConfigError(file, no, `watch=${value}: give the absolute path of the resource's pid file, e.g. watch=/run/linkserv.pid`)
          if (name === 'default') throw new ConfigError(file, no, `watch=${value}: a pid file is one resource's: put it on that resource's line`)
          set.watch = value
        } else {
          throw new ConfigError(file, no, `${pair}: recovery.cf sets ${KEYS.map((k) => `${k}=`).join(', ')}`)
        }
      }
      lines.push({ no, name, set })
    })
  }
  const seen = new Map<string, number>()
  const claim = (key: string, no: number, what: string) => {
    const first = seen.get(key)
    if (first !== undefined) throw new ConfigError(file, no, `${what} already has its line (line ${first}): one line each`)
    seen.set(key, no)
  }
  const defaults = lines.filter((l) => l.name === 'default')
  for (const l of defaults) collectConfigError(errors, () => claim('default', l.no, 'default'))
  const fallback: FailurePolicy = { ...DEFAULT_POLICY, ...defaults[0]?.set }
  const resources: Record<string, FailurePolicy> = {}
  for (const l of lines.filter((x) => x.name !== 'default')) {
    collectConfigError(errors, () => {
      const found = findResource(groups, l.name)
      if ('why' in found) throw new ConfigError(file, l.no, found.why)
      const name = resourceName(found.resource)
      claim(name, l.no, name)
      resources[name] = { ...fallback, ...l.set }
    })
  }
  // in the file's order, though the default line is read first
  throwConfigErrors(errors.sort((a, b) => a.line - b.line))
  return { file, default: fallback, resources }
}

/** recovery.cf in the config dir, or the default policy when there is none. */
export function readRecoveryCf(confDir: string, groups: readonly { resources: readonly Named[] }[]): RecoveryConfig {
  const file = join(confDir, 'recovery.cf')
  if (!existsSync(file)) return { default: DEFAULT_POLICY, resources: {} }
  return parseRecoveryCf(readConfigFile(file), file, groups)
}

export const policyOf = (cfg: RecoveryConfig, r: Named): FailurePolicy => cfg.resources[resourceName(r)] ?? cfg.default

/** A policy as recovery.cf writes it. */
export const describePolicy = (p: FailurePolicy): string =>
  `migration-threshold=${p.threshold ?? 'INFINITY'} failure-timeout=${p.windowMs === 0 ? '0' : formatDuration(p.windowMs)}${p.monitorMs ? ` monitor=${formatDuration(p.monitorMs)}` : ''}${p.watch ? ` watch=${p.watch}` : ''}`
