/**
 * mon's client protocol (TCP, 2583): one command a line, reply lines then `220 …` or `5xx …`, so Debian's
 * moncmd and the admins' scripts around it work unchanged. Each command is checked against auth.cf as
 * mon checks it (./authcf.ts), for the user the connection logged in as (./login.ts), if any.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { errorMessage } from '../lib/errors.ts'
import { epoch } from './alert.ts'
import { mayRun, monCommands } from './authcf.ts'
import { escape, unescape } from '../lib/mon-escape.ts'
import { checkLogin } from './login.ts'
import type { Daemon, Entry } from './daemon.ts'
import { STAT_FAIL, STAT_OK, STAT_UNTESTED } from './state.ts'

/** mon's protocol version, answered to `version` */
const PROTOCOL_VERSION = 9745

/** Seconds as mon prints them: whole when whole, else to the ms (halo takes `200ms` intervals). */
const seconds = (ms: number): string => String(Math.round(ms) / 1000)

export function opstatusLine(e: Entry): string {
  const { st, svc } = e
  const sent = st.periods.reduce((n, p) => n + p.alertSent, 0)
  const lastAlert = Math.max(0, ...st.periods.map((p) => p.lastAlert))
  const fields = [
    `group=${e.group}`,
    `service=${svc.name}`,
    `opstatus=${st.opstatus}`,
    `last_opstatus=${st.lastOpstatus}`,
    `exitval=${st.exitval ?? 'undef'}`,
    `timer=${Math.max(0, Math.round((e.due - performance.now()) / 1000))}`,
    `last_success=${epoch(st.lastSuccess)}`,
    'last_trap=0',
    'last_traphost=',
    `last_check=${st.lastCheck ? epoch(st.lastCheck) : ''}`,
    `ack=${st.ack ? epoch(st.ack) : 0}`,
    `ackcomment=${st.ack ? escape(st.ackComment, true) : ''}`,
    `alerts_sent=${sent}`,
    'depstatus=',
    // halo keeps the dependencies as written (and does not evaluate them: depstatus stays empty)
    `depend=${escape(svc.depend, true)}`,
    `hostdepend=${escape(svc.hostdepend, true)}`,
    `monitordepend=${escape(svc.monitordepend, true)}`,
    `alertdepend=${escape(svc.alertdepend, true)}`,
    `monitor=${escape(svc.monitor?.text, true)}`,
    `last_summary=${escape(st.lastSummary, true)}`,
    `last_detail=${escape(st.lastDetail, true)}`,
  ]
  if (st.lastFailure) fields.push(`last_failure=${epoch(st.lastFailure)}`)
  if (svc.interval) {
    const duration = st.monitorDuration < 0 ? -1 : seconds(st.monitorDuration)
    fields.push(`interval=${seconds(svc.interval)}`, `monitor_duration=${duration}`, `monitor_running=${st.monitorRunning ? 1 : 0}`)
  }
  if (svc.excludePeriod) fields.push(`exclude_period=${escape(svc.excludePeriod.text)}`)
  if (svc.excludeHosts.length) fields.push(`exclude_hosts=${escape(svc.excludeHosts.join(' '))}`)
  if (svc.randskew) fields.push(`randskew=${seconds(svc.randskew)}`)
  if (lastAlert) fields.push(`last_alert=${epoch(lastAlert)}`)
  if (st.firstFailure) fields.push(`first_failure=${epoch(st.firstFailure)}`, `failure_duration=${Math.floor((Date.now() - st.firstFailure) / 1000)}`)
  return fields.join(' ')
}

/** reset re-reads mon.cf, so it answers later */
type Reply = string[] | Promise<string[]>

/** One client connection: its IPv4 address, and the user it logged in as. */
export interface Client {
  host: string
  user?: string
}

/** what mon answers to anyone, logged in or not; everything else is as auth.cf says */
const open = new Set(['quit', 'version', 'protid', 'login', 'checkauth'])

/** One command line → its reply lines (the last one `2xx`/`5xx`); `quit` also closes the connection. */
export function answer(d: Daemon, line: string, client: Client): Reply {
  const m = /^(\w+)(?:\s+(.*))?$/.exec(line.trim())
  const cmd = m?.[1].toLowerCase() ?? ''
  const args = (m?.[2] ?? '').trim()
  const words = args.split(/\s+/).filter(Boolean)
  // as mon: a command it does not know is invalid for everyone, before any question of rights
  if (monCommands.has(cmd) && !open.has(cmd) && !mayRun(d.globals.auth, client.user, cmd)) {
    d.log.warn(`${client.user === undefined ? 'a client not logged in' : `user ${client.user}`} from ${client.host} may not run '${cmd}': refused, as auth.cf says`)
    // mon's words for a refusal
    return ['520 command could not be executed, unknown command']
  }
  switch (cmd) {
    case 'quit': return ['220 quitting']
    case 'version': return [`version ${PROTOCOL_VERSION}`, '220 version completed']
    case 'protid': return [Number(args) === PROTOCOL_VERSION ? '220 protocol match' : '520 protocol mismatch']
    case 'login': return login(d, args, client)
    case 'checkauth': return [mayRun(d.globals.auth, client.user, words[0]?.toLowerCase() ?? '') ? '220 command authorized' : '520 command could not be executed']
    case 'servertime': return [`${Math.floor(Date.now() / 1000)} ${ctime(new Date())}`, '220 servertime completed']
    case 'list': return list(d, words)
    case 'stop':
      d.stopped = true
      d.stoppedSince = Date.now()
      return ['220 stop completed']
    case 'start':
      d.stopped = false
      d.stoppedSince = 0
      return ['220 start completed']
    case 'reset':
      if (/stopped/i.test(args)) {
        d.stopped = true
        d.stoppedSince = Date.now()
      }
      return d.reset(/keepstate/.test(args)).then(
        () => [`220 reset PID ${d.whoami}`],
        () => [`520 reset PID ${d.whoami} failed, error in config file`],
      )
    case 'ack': return ack(d, args)
    case 'disable':
    case 'enable': {
      const reply = disen(d, words, cmd === 'disable')
      // as mon: the disabled state file follows every change
      if (reply[0].startsWith('220')) d.saveState(['disabled'])
      return reply
    }
    case 'savestate':
      if (words.length === 0) return ['520 savestate error, arguments required']
      d.saveState(words)
      return ['220 savestate completed']
    case 'loadstate':
      d.loadState(words)
      return ['220 loadstate completed']
    case 'test': return test(d, args)
    default: return ['520 invalid command']
  }
}

/** `login USER PASSWORD` (the password may hold blanks); a failed login keeps what the connection was. */
async function login(d: Daemon, args: string, client: Client): Promise<string[]> {
  const [user, password = ''] = fields(args, 2)
  if (!(await checkLogin(d.globals.login, user ?? '', password, client.host, d.log))) {
    d.log.warn(`login as '${user ?? ''}' from ${client.host} refused`)
    return ['530 login unsuccessful']
  }
  client.user = user
  d.log.info(`${client.host} logged in as ${user}`)
  return ['220 login accepted']
}

/** The local time as C's ctime (and perl's localtime) write it: `Thu Dec  3 18:40:07 2026`. */
function ctime(d: Date): string {
  const [day, month] = [d.toString().slice(0, 3), d.toString().slice(4, 7)]
  return `${day} ${month} ${String(d.getDate()).padStart(2)} ${d.toTimeString().slice(0, 8)} ${d.getFullYear()}`
}

/** Perl's split(/\s+/, text, n): at most n fields, the last one the rest of the text as written. */
function fields(text: string, n: number): string[] {
  const out: string[] = []
  let rest = text
  while (rest !== '' && out.length < n - 1) {
    const m = /^(\S*)\s+(.*)$/s.exec(rest)
    if (!m) break
    out.push(m[1])
    rest = m[2]
  }
  return rest === '' ? out : [...out, rest]
}

function list(d: Daemon, words: string[]): Reply {
  const all = (keep: (e: Entry) => boolean) => d.entries.filter(keep).map(opstatusLine)
  switch (words[0]?.toLowerCase()) {
    case 'opstatus': {
      if (words.length === 1) return [...all(() => true), '220 list opstatus completed']
      const out: string[] = []
      for (const gs of words.slice(1)) {
        const [group, service = ''] = gs.split(',')
        if (service !== '' && !d.find(group, service)) return [`520 ${group},${service} does not exist`]
        out.push(...all((e) => e.group === group && (service === '' || e.svc.name === service)))
      }
      return [...out, '220 list opstatus completed']
    }
    case 'failures': return [...all((e) => e.st.opstatus === STAT_FAIL), '220 list failures completed']
    case 'successes': return [...all((e) => e.st.opstatus === STAT_OK || e.st.opstatus === STAT_UNTESTED), '220 list successes completed']
    case 'disabled': return [...disabledLines(d), '220 list disabled completed']
    case 'alerthist': return [...d.alertHistory.map((l) => escape(l)), '220 list alerthist completed']
    case 'failurehist': return [...d.failureHistory.map((l) => escape(l)), '220 list failurehist completed']
    case 'pids': return [`server ${process.pid}`, ...d.entries.filter((e) => e.pid !== undefined).map((e) => `${e.group} ${e.svc.name} ${e.pid}`), '220 list pids completed']
    case 'state': return [d.stopped ? `scheduler stopped since ${epoch(d.stoppedSince)}` : 'scheduler running', '220 list state completed']
    case 'watch': return [...d.entries.map((e) => `${e.group} ${e.svc.name}`), '220 list watch completed']
    case 'group': {
      const hosts = d.config.hostgroups.get(words[1] ?? '')
      if (!hosts) return ['520 list group error, undefined group']
      return [`hostgroup ${words[1]} ${hosts.map((h) => (d.disabledHosts.has(h) ? `*${h}` : h)).join(' ')}`, '220 list group completed']
    }
    case 'descriptions': return [...d.entries.map((e) => `${e.group} ${e.svc.name} ${escape(e.svc.description, true)}`), '220 list descriptions completed']
    case 'aliases': return [...aliasLines(d, words.slice(1)), '220 list aliases completed']
    case 'aliasgroups': {
      const names = aliasNames(d)
      return [...(names.length ? [names.join(' ')] : []), '220 list aliasgroups completed']
    }
    case 'deps': return [...d.entries.flatMap(depLines), '220 list deps completed']
    // mon's words, its misnamed completions included
    case 'views': return [`views ${[...d.config.views.keys()].sort().join(' ')}`, '220 list group completed']
    // halo has none of mon's warning states (coldstart, warmstart, unknown, warn)
    case 'warnings': return ['220 list successes completed']
    case 'dtlog': return ['520 list dtlog error, dtlogging is not turned on']
    default: return ['520 unknown list command']
  }
}

/** mon knows an alias by its lines: one with none is not there */
const aliasNames = (d: Daemon) => [...d.config.aliases].filter(([, lines]) => lines.length).map(([name]) => name)

/** Each alias asked for (all without names): `alias NAME`, its lines as written, a blank line. */
function aliasLines(d: Daemon, names: string[]): string[] {
  return (names.length ? names : aliasNames(d)).flatMap((name) => [`alias ${name}`, ...(d.config.aliases.get(name) ?? []), ''])
}

/** mon's `exp` (the expression) and `cmp` (the group:service names in it) lines of one service. */
function depLines(e: Entry): string[] {
  const { depend } = e.svc
  const names = depend?.match(/[a-zA-Z0-9_.-]+:[a-zA-Z0-9_.-]+/g) ?? []
  return [`exp ${e.group} ${e.svc.name} '${depend ? escape(depend, true) : 'NONE'}'`, `cmp ${e.group} ${e.svc.name} ${names.length ? names.join(' ') : 'NONE'}`]
}

function disabledLines(d: Daemon): string[] {
  const lines: string[] = []
  for (const [group, hosts] of d.config.hostgroups) {
    const off = hosts.filter((h) => d.disabledHosts.has(h))
    if (off.length) lines.push(`group ${group}: ${off.join(' ')}`)
  }
  for (const w of d.config.watches) {
    if (d.disabledWatches.has(w.name)) lines.push(`watch ${w.name}`)
    for (const e of d.entries) if (e.group === w.name && e.st.disabled) lines.push(`watch ${w.name} service ${e.svc.name}`)
  }
  return lines
}

function ack(d: Daemon, args: string): Reply {
  const [group, service, comment] = splitAck(args)
  if (!d.config.watches.some((w) => w.name === group)) return ['520 unknown group']
  const e = d.find(group, service)
  if (!e) return ['520 unknown service']
  if (e.st.opstatus === STAT_OK || e.st.opstatus === STAT_UNTESTED) return ['520 service is in a non-failure state']
  // moncmd sends the comment quoted and escaped; mon keeps its first word, prefixed by the user
  d.ack(e, `: ${unescape(firstWord(comment))}`)
  return ['220 ack completed']
}

function splitAck(args: string): [string, string, string] {
  const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/s.exec(args)
  return m ? [m[1], m[2], m[3] ?? ''] : [args, '', '']
}

/** Perl's parse_line first word: a "…" or '…' group without its quotes, or the text up to a blank. */
function firstWord(text: string): string {
  const m = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'|^(\S*)/.exec(text.trim())
  return m?.[1]?.replace(/\\(.)/g, '$1') ?? m?.[2] ?? m?.[3] ?? ''
}

function disen(d: Daemon, words: string[], disable: boolean): string[] {
  const [what, ...rest] = words
  const verb = disable ? 'disable' : 'enable'
  if (what === 'watch') {
    if (!d.config.watches.some((w) => w.name === rest.join(' '))) return [disable ? `520 disable error, unknown watch "${rest.join(' ')}"` : '520 enable error, unknown watch']
    switchNames(d.disabledWatches, [rest.join(' ')], disable)
    return [`220 ${verb} watch completed`]
  }
  if (what === 'service') {
    const e = d.find(rest[0] ?? '', rest.slice(1).join(' '))
    if (!e) return [disable ? '520 disable error, unknown service' : '520 enable error, unknown group']
    d.disable(e, disable)
    return [disable ? '220 disable service completed' : '220 enable completed']
  }
  if (what === 'host') {
    const missing = rest.filter((h) => !d.hostExists(h))
    if (disable && missing.length) return [`520 disable host failed, host(s) ${missing.join(' ')} do not exist`]
    for (const h of rest) {
      // a watch whose group is this host alone is switched with it: no monitor runs on an empty group
      const alone = [...d.config.hostgroups].filter(([, hosts]) => hosts.length === 1 && hosts[0] === h).map(([g]) => g)
      switchNames(d.disabledWatches, alone, disable)
      switchNames(d.disabledHosts, [h], disable)
    }
    return [disable ? '220 disable host completed' : '220 enable completed']
  }
  return ['520 command could not be executed']
}

function switchNames(set: Set<string>, names: string[], add: boolean): void {
  for (const n of names) {
    if (add) set.add(n)
    else set.delete(n)
  }
}

function test(d: Daemon, args: string): Reply {
  const [what = '', rest = ''] = fields(args, 2)
  // as mon: the period is the rest of the line, so `wd {Mon-Fri} hr {7am-6pm}` names an unlabelled one
  const [group = '', service = '', retval = '', period = ''] = what === 'monitor' ? rest.split(/\s+/) : fields(rest, 4)
  const e = d.find(group, service)
  if (what === 'monitor') {
    // mon answers an unknown service with a bare line, then completes anyway
    if (!e) return [`${group} ${service} not defined`, '220 test monitor completed']
    d.testMonitor(e)
    return ['220 test monitor completed']
  }
  const kinds = { alert: 'failure', upalert: 'up', startupalert: 'startup', ackalert: 'ack' } as const
  if (Object.hasOwn(kinds, what)) {
    if (!e) return [`520 ${group} ${service} not defined`]
    const index = e.svc.periods.findIndex((p) => p.label === period)
    if (index < 0) return ['520 period not defined']
    d.testAlert(e, kinds[what as keyof typeof kinds], Number(retval), index)
    return ['220 test alert completed']
  }
  return ['520 test error']
}

/** Serves the protocol on host:port; resolves once listening. */
export function serve(d: Daemon, host: string, port: number): Promise<Server> {
  const server = createServer((socket: Socket) => {
    // mon's clientallow, against the IPv4 address (as mon sees a client of a dual-stack socket)
    const from = (socket.remoteAddress ?? '').replace(/^::ffff:/, '')
    const client: Client = { host: from }
    if (!d.globals.clientallow.some((re) => re.test(from))) {
      d.log.info(`closing unwanted client: ${from}`)
      socket.destroy()
      return
    }
    let buffered = ''
    // replies go out in the order the commands came, even when one (reset) takes a while
    let replies = Promise.resolve()
    socket.setEncoding('utf8')
    socket.on('error', () => {})
    socket.on('data', (chunk: string) => {
      buffered += chunk
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '')
        buffered = buffered.slice(nl + 1)
        if (line.trim() === '') continue
        replies = replies.then(async () => {
          if (socket.destroyed || socket.writableEnded) return
          // a command that fails inside is this client's error line, never the server's end
          const reply = await Promise.resolve()
            .then(() => answer(d, line, client))
            .catch((err: unknown) => {
              d.log.err(`command ${JSON.stringify(line.slice(0, 80))} failed: ${errorMessage(err)}`)
              return ['520 command failed']
            })
          socket.write(reply.map((l) => `${l}\n`).join(''))
          if (/^\s*quit\b/i.test(line)) socket.end()
        })
      }
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
