/**
 * The configuration halo-mon runs: mon.cf as lib/config/moncf.ts reads it, with the globals resolved
 * (mon's defaults, then mon.cf, then the command line, as mon orders them).
 */
import type { MonCf } from '../lib/config/moncf.ts'

export interface Settings {
  alertdir: string[]
  mondir: string[]
  statedir: string
  logdir: string
  cfbasedir: string
  serverport: number
  serverbind: string
  /** '' = none */
  pidfile: string
}

export type MonConfig = Pick<MonCf, 'hostgroups' | 'watches'> & { globals: Settings }
