/**
 * mon.cf → what halo-mon runs: the file read by mon/config/moncf.ts, then the globals resolved the way
 * mon resolves them (its built-in defaults, overridden by mon.cf, overridden by the command line; relative
 * script directories under basedir), and the files the globals name checked as mon checks them (auth.cf,
 * userfile, PAM). Warnings (lines mon would drop silently, what halo does not do) are handed to `warn` as
 * `file:line: text`; errors are thrown together, every one that does not follow from another.
 */
import { constants, existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { clientPatterns, type MonGlobals, readMonCf } from './moncf.ts'
import { ConfigError, collectConfigError, throwConfigErrors } from '../../lib/errors.ts'
import { canAccess } from '../../lib/files.ts'
import { type AuthRules, readAuthCf } from '../authcf.ts'
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
  const errors: ConfigError[] = []
  const { config, warnings } = await readMonCf(path, { m4: over.m4, errors })
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
    // replaced below, or an error is thrown
    auth: { file: '', commands: new Map() },
    login: {
      types: g.authtype ?? ['getpwnam'],
      userfile: resolve(cfbasedir, g.userfile ?? 'monusers.cf'),
      pamservice: g.pamservice ?? 'passwd',
    },
  }
  // a global the command line overrides is no line's doing
  const where = (key: keyof MonGlobals) => (key === 'cfbasedir' && over.cfbasedir !== undefined ? undefined : config.globalAt[key]) ?? { file: path, line: 0 }
  const failAt = (key: keyof MonGlobals, why: string) => errors.push(new ConfigError(where(key).file, where(key).line, why))
  const warnAt = (key: keyof MonGlobals, why: string) => warn(`${where(key).file}:${where(key).line}: ${why}`)
  // each of these is checked whatever the others found, so that one start names every error
  const auth = readAuth(over.authfile, g.authfile, cfbasedir, failAt, warn, errors)
  if (auth) globals.auth = auth
  await checkLogin(globals, g.userfile, failAt, warnAt)
  throwConfigErrors(errors)
  return { hostgroups: config.hostgroups, watches: config.watches, aliases: config.aliases, views: config.views, globals }
}

type FailAt = (key: keyof MonGlobals, why: string) => void

/**
 * auth.cf as mon finds it: -A, else mon.cf's authfile, else cfbasedir's auth.cf (relative names under
 * cfbasedir). There is no default: mon refuses to start without it, and so does halo-mon.
 * mon checks mon.cf's authfile while reading mon.cf (even when -A overrides it), relative to its working
 * directory; halo-mon checks it where both then read it, under cfbasedir.
 */
function readAuth(
  option: string | undefined, named: string | undefined, cfbasedir: string, failAt: FailAt, warn: (text: string) => void, errors: ConfigError[],
): AuthRules | undefined {
  if (named !== undefined && !readable(resolve(cfbasedir, named))) {
    failAt('authfile', `authfile '${named}' does not exist or is not readable (${resolve(cfbasedir, named)}): create it, or correct the name`)
    if (option === undefined) return undefined
  }
  const path = resolve(cfbasedir, option ?? named ?? 'auth.cf')
  if (option === undefined && named === undefined && !existsSync(path)) {
    failAt(
      'cfbasedir',
      `${path} does not exist: with no authfile in mon.cf, mon and halo-mon read cfbasedir's auth.cf (who may run which command) and do not start without it: ` +
        "create it (Debian's mon package installs one), or name one with authfile = or -A",
    )
    return undefined
  }
  return collectConfigError(errors, () => readAuthCf(path, warn))
}

const readable = (path: string) => canAccess(path, constants.R_OK)

/**
 * What the authtypes need, as mon checks it when reading mon.cf: a userfile that mon.cf names must be
 * there (whatever the authtype), PAM must be usable. mon only logs a missing default userfile
 * (monusers.cf) for authtype userfile, and starts; so does halo-mon.
 */
async function checkLogin({ login }: Globals, named: string | undefined, failAt: FailAt, warnAt: FailAt): Promise<void> {
  if (named !== undefined && !readable(login.userfile)) {
    failAt('userfile', `userfile '${named}' does not exist or is not readable (${login.userfile}): create it ('user : crypt hash' lines), or correct the name`)
  } else if (login.types.includes('userfile') && !readable(login.userfile)) {
    warnAt('authtype', `authtype userfile: the userfile ${login.userfile} does not exist, so it accepts no login (mon logs it too): create it ('user : crypt hash' lines) or set userfile`)
  }
  if (login.types.includes('pam') && !(await pamAvailable())) {
    failAt(
      'authtype',
      "authtype pam: could not use PAM authentication: perl's Authen::PAM is not installed (Debian: libauthen-pam-perl; mon needs it too): install it, or use getpwnam or userfile",
    )
  }
}
