/**
 * mon.cf → what halo-mon runs: the file read by mon/config/moncf.ts, then the globals resolved the way
 * mon resolves them (its built-in defaults, overridden by mon.cf, overridden by the command line; relative
 * script directories under basedir). Warnings (lines mon would drop silently, what halo does not do) are
 * handed to `warn` as `file:line: text`.
 */
import { existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { clientPatterns, readMonCf } from './moncf.ts'
import { ConfigError } from '../../lib/errors.ts'
import { type AuthRules, DEFAULT_AUTH_CF, parseAuthCf, readAuthCf } from '../authcf.ts'
import { pamAvailable } from '../login.ts'
import type { Globals, MonConfig } from '../types.ts'

/** What the command line sets; these win over mon.cf. */
export interface Overrides {
  alertdir?: string[]
  mondir?: string[]
  basedir?: string
  cfbasedir?: string
  logdir?: string
  statedir?: string
  /** -A */
  authfile?: string
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
  const cfbasedir = over.cfbasedir ?? g.cfbasedir ?? '/etc/mon'
  const globals: Globals = {
    alertdir: under(over.alertdir ?? g.alertdir ?? ['/usr/local/lib/mon/alert.d', 'alert.d']),
    mondir: under(over.mondir ?? g.mondir ?? ['/usr/local/lib/mon/mon.d', 'mon.d']),
    logdir: over.logdir ?? g.logdir ?? firstDir(['/var/log/mon'], 'log.d'),
    statedir: over.statedir ?? g.statedir ?? firstDir(['/var/state/mon', '/var/lib/mon'], 'state.d'),
    cfbasedir,
    serverport: over.serverport ?? g.serverport ?? 2583,
    // halo listens on loopback unless told otherwise: logins cross the network in clear text
    serverbind: g.serverbind ?? '127.0.0.1',
    // mon's default: any IPv4 client
    clientallow: g.clientallow ?? clientPatterns('\\d+.\\d+.\\d+.\\d+'),
    pidfile: over.pidfile ?? g.pidfile ?? `${firstDir(['/run/mon', '/run'], '/etc')}/mon.pid`,
    syslogFacility: over.syslogFacility ?? g.syslog_facility ?? 'daemon',
    histlength: over.histlength ?? g.histlength ?? 100,
    randstart: over.randstart ?? g.randstart ?? 0,
    excludePeriod: g.exclude_period,
    startupalertsOnReset: g.startupalerts_on_reset ?? false,
    auth: { commands: new Map() },
    login: {
      types: g.authtype ?? ['getpwnam'],
      userfile: resolve(cfbasedir, g.userfile ?? 'monusers.cf'),
      pamservice: g.pamservice ?? 'passwd',
    },
  }
  globals.auth = readAuth(over.authfile ?? g.authfile, globals, warn)
  await checkLogin(path, globals)
  return { hostgroups: config.hostgroups, watches: config.watches, aliases: config.aliases, views: config.views, globals }
}

const loopback = (bind: string) => /^(127\.|::1$|localhost$)/.test(bind)

/**
 * auth.cf as mon finds it (relative to cfbasedir). Named but unreadable: an error, as in mon. Not named
 * and not there: mon would not start; halo-mon applies the rules of Debian's auth.cf (status for all,
 * changes after a login) and says so when it listens beyond loopback.
 */
function readAuth(named: string | undefined, globals: Globals, warn: (text: string) => void): AuthRules {
  const path = resolve(globals.cfbasedir, named ?? 'auth.cf')
  if (named !== undefined || existsSync(path)) return readAuthCf(path, warn)
  if (!loopback(globals.serverbind)) {
    warn(
      `no ${path}: halo-mon serves ${globals.serverbind}:${globals.serverport} beyond loopback with the rules of Debian's auth.cf ` +
        '(anyone who reaches the port may list; stop, disable, test and the other changes need a login, whose password crosses the network in clear): ' +
        'write an auth.cf that names who may do what, or bind serverbind to 127.0.0.1',
    )
  }
  return { commands: parseAuthCf(DEFAULT_AUTH_CF, 'default auth.cf', warn) }
}

/** What the authtypes need must be there now, not at the first login (mon checks them when reading mon.cf). */
async function checkLogin(monCf: string, { login }: Globals): Promise<void> {
  if (login.types.includes('userfile') && !existsSync(login.userfile)) {
    throw new ConfigError(monCf, 0, `authtype userfile: the userfile ${login.userfile} does not exist: create it ('user : crypt hash' lines) or set userfile`)
  }
  if (login.types.includes('pam') && !(await pamAvailable())) {
    throw new ConfigError(
      monCf,
      0,
      "authtype pam: could not use PAM authentication: perl's Authen::PAM is not installed (Debian: libauthen-pam-perl; mon needs it too): install it, or use getpwnam or userfile",
    )
  }
}
