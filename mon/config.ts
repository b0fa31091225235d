/**
 * mon.cf → what halo-mon runs: the file read by lib/config/moncf.ts, then the globals resolved the way
 * mon resolves them (its built-in defaults, overridden by mon.cf, overridden by the command line; relative
 * script directories under basedir). Warnings (lines mon would drop silently, what halo does not do) are
 * handed to `warn` as `file:line: text`.
 */
import { existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { clientPatterns, readMonCf } from '../lib/config/moncf.ts'
import type { MonConfig, Settings } from './types.ts'

/** What the command line sets; these win over mon.cf. */
export interface Overrides {
  alertdir?: string[]
  mondir?: string[]
  basedir?: string
  cfbasedir?: string
  logdir?: string
  statedir?: string
  pidfile?: string
  serverport?: number
  syslogFacility?: string
  histlength?: number
  randstart?: number
  m4?: string
}

const firstDir = (dirs: string[], fallback: string) => dirs.find((d) => existsSync(d)) ?? fallback

/** mon.cf's path: -c, else cfbasedir's mon.cf; relative to where halo-mon was started, as in mon. */
export const monCfPath = (config: string | undefined, over: Overrides) => resolve(config ?? join(over.cfbasedir ?? '/etc/mon', 'mon.cf'))

export async function loadConfig(path: string, over: Overrides, warn: (text: string) => void): Promise<MonConfig> {
  const { config, warnings } = await readMonCf(path, { m4: over.m4 })
  for (const w of warnings) warn(`${w.file}:${w.line}: ${w.text}`)
  const g = config.globals
  const basedir = (over.basedir ?? g.basedir ?? '/usr/lib/mon').replace(/\/$/, '')
  const under = (dirs: string[]) => dirs.map((d) => (isAbsolute(d) ? d : join(basedir, d)))
  const globals: Settings = {
    alertdir: under(over.alertdir ?? g.alertdir ?? ['/usr/local/lib/mon/alert.d', 'alert.d']),
    mondir: under(over.mondir ?? g.mondir ?? ['/usr/local/lib/mon/mon.d', 'mon.d']),
    logdir: over.logdir ?? g.logdir ?? firstDir(['/var/log/mon'], 'log.d'),
    statedir: over.statedir ?? g.statedir ?? firstDir(['/var/state/mon', '/var/lib/mon'], 'state.d'),
    cfbasedir: over.cfbasedir ?? g.cfbasedir ?? '/etc/mon',
    serverport: over.serverport ?? g.serverport ?? 2583,
    // halo listens on loopback unless told otherwise: the protocol has no authentication here
    serverbind: g.serverbind ?? '127.0.0.1',
    // mon's default: any IPv4 client
    clientallow: g.clientallow ?? clientPatterns('\\d+.\\d+.\\d+.\\d+'),
    pidfile: over.pidfile ?? g.pidfile ?? `${firstDir(['/run/mon', '/run'], '/etc')}/mon.pid`,
    syslogFacility: over.syslogFacility ?? g.syslog_facility ?? 'daemon',
    histlength: over.histlength ?? g.histlength ?? 100,
    randstart: over.randstart ?? g.randstart ?? 0,
    excludePeriod: g.exclude_period,
    startupalertsOnReset: g.startupalerts_on_reset ?? false,
  }
  return { hostgroups: config.hostgroups, watches: config.watches, aliases: config.aliases, views: config.views, globals }
}
