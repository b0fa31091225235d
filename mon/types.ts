/**
 * The configuration halo-mon runs: mon.cf as mon/config/moncf.ts reads it, with the globals resolved
 * (mon's defaults, then mon.cf, then the command line, as mon orders them).
 */
import type { MonCf } from './config/moncf.ts'
import type { Period } from './config/period.ts'
import type { AuthRules } from './authcf.ts'
import type { LoginSettings } from './login.ts'

/** mon.cf's global definitions (its `name = value` lines), resolved: mon's defaults, then mon.cf, then the command line */
export interface Globals {
  alertdir: string[]
  mondir: string[]
  statedir: string
  logdir: string
  cfbasedir: string
  serverport: number
  serverbind: string
  /** mon's clientallow: patterns a client's IPv4 address must match whole (a bare `.` is a dot) */
  clientallow: RegExp[]
  /** '' = none */
  pidfile: string
  syslogFacility: string
  /** how many alert and failure history lines are kept */
  histlength: number
  /** ms; the first checks are spread over 0..randstart */
  randstart: number
  /** no checks at all in this period */
  excludePeriod?: Period
  /** startupalerts_on_reset: a reset sends the startup alerts again */
  startupalertsOnReset: boolean
  /** auth.cf: who may run which command */
  auth: AuthRules
  /** how `login` checks a password */
  login: LoginSettings
}

export type MonConfig = Pick<MonCf, 'hostgroups' | 'watches' | 'aliases' | 'views'> & { globals: Globals }
