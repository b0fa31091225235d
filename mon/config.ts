/**
 * mon.cf → what halo-mon runs: the file read by lib/config/moncf.ts, then the globals resolved the way
 * mon resolves them (its built-in defaults, overridden by mon.cf, overridden by the command line; relative
 * script directories under basedir). Warnings (lines mon would drop silently) go to the log.
 */
import { existsSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { readMonCf } from '../lib/config/moncf.ts'
import type { Logger } from '../lib/log.ts'
import type { MonConfig, Settings } from './types.ts'

/** What the command line sets (-a -s -L -D -P -p -M); these win over mon.cf. */
export interface Overrides {
  alertdir?: string[]
  mondir?: string[]
  logdir?: string
  statedir?: string
  pidfile?: string
  serverport?: number
  m4?: string
}

const firstDir = (dirs: string[], fallback: string) => dirs.find((d) => existsSync(d)) ?? fallback

export async function loadConfig(path: string, over: Overrides, log: Logger): Promise<MonConfig> {
  const { config, warnings } = await readMonCf(path, { m4: over.m4 })
  for (const w of warnings) log.warn(`${w.file}:${w.line}: ${w.text}`)
  const g = config.globals
  const basedir = (g.basedir ?? '/usr/lib/mon').replace(/\/$/, '')
  const under = (dirs: string[]) => dirs.map((d) => (isAbsolute(d) ? d : join(basedir, d)))
  const globals: Settings = {
    alertdir: under(over.alertdir ?? g.alertdir ?? ['/usr/local/lib/mon/alert.d', 'alert.d']),
    mondir: under(over.mondir ?? g.mondir ?? ['/usr/local/lib/mon/mon.d', 'mon.d']),
    logdir: over.logdir ?? g.logdir ?? firstDir(['/var/log/mon'], 'log.d'),
    statedir: over.statedir ?? g.statedir ?? firstDir(['/var/state/mon', '/var/lib/mon'], 'state.d'),
    cfbasedir: g.cfbasedir ?? '/etc/mon',
    serverport: over.serverport ?? g.serverport ?? 2583,
    // halo listens on loopback unless told otherwise: the protocol has no authentication here
    serverbind: g.serverbind ?? '127.0.0.1',
    pidfile: over.pidfile ?? g.pidfile ?? `${firstDir(['/run/mon', '/run'], '/etc')}/mon.pid`,
  }
  return { hostgroups: config.hostgroups, watches: config.watches, globals }
}
