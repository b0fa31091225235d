/**
 * mon's client protocol (TCP, 2583): one command a line, reply lines then `220 …` or `5xx …`, so Debian's
 * moncmd and the admins' scripts around it work unchanged. Authentication (mon's auth.cf) is not
 * enforced: the server listens on 127.0.0.1 unless mon.cf's serverbind says otherwise.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { errorMessage } from '../lib/errors.ts'
import { epoch } from './alert.ts'
import { escape, unescape } from './escape.ts'
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
    'depend=',
    'hostdepend=',
    'monitordepend=',
    'alertdepend=',
    `monitor=${escape(svc.monitor?.text, true)}`,
    `last_summary=${escape(st.lastSummary, true)}`,
    `last_detail=${escape(st.lastDetail, true)}`,
  ]
  if (st.lastFailure) fields.push(`last_failure=${epoch(st.lastFailure)}`)
  if (svc.interval) {
    const duration = st.monitorDuration < 0 ? -1 : seconds(st.monitorDuration)
    fields.push(`interval=${seconds(svc.interval)}`, `monitor_duration=${duration}`, `monitor_running=${st.monitorRunning ? 1 : 0}`)
  }
  if (svc.excludeHosts.length) fields.push(`exclude_hosts=${escape(svc.excludeHosts.join(' '))}`)
  if (lastAlert) fields.push(`last_alert=${epoch(lastAlert)}`)
  if (st.firstFailure) fields.push(`first_failure=${epoch(st.firstFailure)}`, `failure_duration=${Math.floor((Date.now() - st.firstFailure) / 1000)}`)
  return fields.join(' ')
}

/** reset re-reads mon.cf, so it answers later */
type Reply = string[] | Promise<string[]>

/** One command line → its reply lines (the last one `2xx`/`5xx`); `quit` also closes the connection. */
export function answer(d: Daemon, line: string): Reply {
  const m = /^(\w+)(?:\s+(.*))?$/.exec(line.trim())
  const cmd = m?.[1].toLowerCase() ?? ''
  const args = (m?.[2] ?? '').trim()
  const words = args.split(/\s+/).filter(Boolean)
  switch (cmd) {
    case 'quit': return ['220 quitting']
    case 'version': return [`version ${PROTOCOL_VERSION}`, '220 version completed']
    case 'protid': return [Number(args) === PROTOCOL_VERSION ? '220 protocol match' : '520 protocol mismatch']
    case 'login': return ['220 login accepted']
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
    case 'test': return test(d, words)
    default: return ['520 invalid command']
  }
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
    default: return ['520 unknown list command']
  }
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

function test(d: Daemon, words: string[]): Reply {
  const [what, group = '', service = '', retval = '', period = ''] = words
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
            .then(() => answer(d, line))
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
