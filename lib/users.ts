/**
 * System users and groups by name, through getent so that LDAP/SSSD accounts resolve as they do for
 * su and the daemons (Node has no getpwnam); /etc/passwd and /etc/group are read first when nsswitch.conf
 * asks them first, as it nearly always does. Used when an agent starts a server as its user.
 */
import { readFileSync } from 'node:fs'
import { HaloError } from './errors.ts'
import { run } from './exec.ts'
import { OCF } from './ocf/codes.ts'

export interface Account {
  name: string
  uid: number
  gid: number
  /** home directory ('/' when unknown) */
  home: string
}

async function getent(db: 'passwd' | 'group', name: string): Promise<string[] | undefined> {
  if (/^\d+$/.test(name)) return undefined // a number is taken as it is, see below
  // where nsswitch.conf asks the files first, a local account is read there: no getent run in every start and stop
  const local = filesFirst(db) ? localEntry(db, name) : undefined
  if (local) return local
  const r = await run(['getent', db, name], { timeout: 5000 })
  return r.code === 0 ? r.stdout.trim().split('\n')[0].split(':') : undefined
}

function filesFirst(db: 'passwd' | 'group'): boolean {
  let conf: string
  try {
    conf = readFileSync('/etc/nsswitch.conf', 'utf8')
  } catch {
    return false
  }
  const sources = new RegExp(`^${db}:\\s*(\\S+)`, 'm').exec(conf)?.[1]
  return sources === 'files' || sources === 'compat'
}

function localEntry(db: 'passwd' | 'group', name: string): string[] | undefined {
  let text: string
  try {
    text = readFileSync(`/etc/${db}`, 'utf8')
  } catch {
    return undefined
  }
  return text.split('\n').map((line) => line.split(':')).find((f) => f[0] === name && f.length >= (db === 'passwd' ? 7 : 4))
}

/**
 * The account `user` (name or uid), with `group` (name or gid) instead of its primary group when given.
 * Throws HaloError(5, naming the parameter) when either does not exist on this host.
 */
export async function account(user: string, group?: string, names = { user: 'user', group: 'group' }): Promise<Account> {
  let uid: number
  let gid: number
  let home = '/'
  const pw = await getent('passwd', user)
  if (pw) {
    uid = Number(pw[2])
    gid = Number(pw[3])
    home = pw[5] || '/'
  } else if (/^\d+$/.test(user)) {
    uid = gid = Number(user)
  } else {
    throw new HaloError(OCF.ERR_INSTALLED, `parameter ${names.user}: no user "${user}" on this host`)
  }
  if (group !== undefined && group !== '') {
    const gr = await getent('group', group)
    if (gr) gid = Number(gr[2])
    else if (/^\d+$/.test(group)) gid = Number(group)
    else throw new HaloError(OCF.ERR_INSTALLED, `parameter ${names.group}: no group "${group}" on this host`)
  }
  return { name: user, uid, gid, home }
}

/**
 * The environment a server starts with: what a login as its user would give (HOME, USER, LOGNAME) and the
 * locale, time zone and PATH of the node, nothing else. The agent's own environment holds the cluster's
 * (HA_*, OCF_RESKEY_* with test_passwd…), which is none of the server's business.
 */
export function serviceEnv(a: Account, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: from.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: a.home, USER: a.name, LOGNAME: a.name, LANG: from.LANG ?? 'C' }
  for (const name of ['LC_ALL', 'TZ'] as const) if (from[name] !== undefined) env[name] = from[name]
  return env
}
