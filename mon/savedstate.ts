/**
 * mon's state files in statedir, in mon's own format so a file left by mon loads into halo-mon and back:
 *   disabled  `disable host H` / `disable watch G` / `disable service G S`, one a line; written after every
 *             disable or enable, read at the start with -l (mon's default state) and by `loadstate`
 *   opstatus  one service a line: `group=G<TAB>service=S<TAB>var=value…`, values escaped as in the protocol;
 *             written by `savestate opstatus|all`, read with -l opstatus|all
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../lib/atomic.ts'
import type { Daemon } from './daemon.ts'
import { escape, unescape } from '../lib/mon-escape.ts'
import type { PeriodState, ServiceState } from './state.ts'

type Kind = 'number' | 'time' | 'text'

/** mon's variable names → halo's, for what halo keeps (times: mon's epoch seconds, halo's ms) */
const serviceFields: [string, keyof ServiceState, Kind][] = [
  ['op_status', 'opstatus', 'number'], ['last_op_status', 'lastOpstatus', 'number'], ['exitval', 'exitval', 'number'],
  ['failure_count', 'failureCount', 'number'], ['alert_count', 'alertCount', 'number'], ['consec_failures', 'consecFailures', 'number'],
  ['last_success', 'lastSuccess', 'time'], ['last_failure', 'lastFailure', 'time'], ['first_failure', 'firstFailure', 'time'],
  ['last_check', 'lastCheck', 'time'], ['ack', 'ack', 'time'], ['ack_comment', 'ackComment', 'text'],
  ['last_summary', 'lastSummary', 'text'], ['last_detail', 'lastDetail', 'text'], ['failure_output', 'failureOutput', 'text'],
]
const periodFields: [string, keyof PeriodState, Kind][] = [
  ['last_alert', 'lastAlert', 'time'], ['alert_sent', 'alertSent', 'number'], ['1stfailtime', 'firstFailTime', 'time'], ['failcount', 'failCount', 'number'],
]

function write(value: unknown, kind: Kind): string {
  if (value === undefined) return ''
  return escape(kind === 'time' ? String(Math.floor(Number(value) / 1000)) : String(value))
}

function read(value: string, kind: Kind): unknown {
  const v = unescape(value)
  if (kind === 'text') return v
  // mon writes an unset number as nothing
  if (!/^-?\d+$/.test(v)) return kind === 'time' ? 0 : undefined
  return kind === 'time' ? Number(v) * 1000 : Number(v)
}

export function disabledText(d: Daemon): string {
  const lines = [...d.disabledHosts].map((h) => `disable host ${h}`)
  for (const g of d.disabledWatches) lines.push(`disable watch ${g}`)
  for (const e of d.entries) if (e.st.disabled) lines.push(`disable service ${e.group} ${e.svc.name}`)
  return lines.map((l) => `${l}\n`).join('')
}

export function opstatusText(d: Daemon): string {
  return d.entries
    .map(({ group, svc, st }) => {
      const fields = [`group=${group}`, `service=${svc.name}`, ...serviceFields.map(([mon, key, kind]) => `${mon}=${write(st[key], kind)}`)]
      svc.periods.forEach((p, i) => fields.push(...periodFields.map(([mon, key, kind]) => `${p.label}:${mon}=${write(st.periods[i][key], kind)}`)))
      return `${fields.join('\t')}\n`
    })
    .join('')
}

export function saveState(d: Daemon, state: 'disabled' | 'opstatus'): void {
  writeFileAtomic(join(d.globals.statedir, state), state === 'disabled' ? disabledText(d) : opstatusText(d))
}

/** Loads one state file; returns what it could not apply (a group or service no longer in mon.cf), for the log. */
export function loadState(d: Daemon, state: 'disabled' | 'opstatus'): string[] {
  const file = join(d.globals.statedir, state)
  if (!existsSync(file)) return [`no ${state} state saved (${file})`]
  const text = readFileSync(file, 'utf8')
  return state === 'disabled' ? loadDisabled(d, text) : loadOpstatus(d, text)
}

function loadDisabled(d: Daemon, text: string): string[] {
  const unknown: string[] = []
  for (const line of text.split('\n')) {
    const [cmd, what, ...args] = line.trim().split(/\s+/)
    if (cmd !== 'disable') continue
    if (what === 'host') for (const h of args) d.disabledHosts.add(h)
    else if (what === 'watch' && d.config.watches.some((w) => w.name === args.join(' '))) d.disabledWatches.add(args.join(' '))
    else if (what === 'service' && d.find(args[0], args.slice(1).join(' '))) d.find(args[0], args.slice(1).join(' '))!.st.disabled = true
    else unknown.push(`undefined group or service in the state file: ${line}`)
  }
  return unknown
}

function loadOpstatus(d: Daemon, text: string): string[] {
  for (const line of text.split('\n').filter(Boolean)) {
    const vars = new Map(line.split('\t').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
    const e = d.find(vars.get('group') ?? '', vars.get('service') ?? '')
    if (!e) continue
    const st = e.st as unknown as Record<string, unknown>
    for (const [mon, key, kind] of serviceFields) if (vars.has(mon)) st[key] = read(vars.get(mon)!, kind)
    e.svc.periods.forEach((p, i) => {
      const ps = e.st.periods[i] as unknown as Record<string, unknown>
      for (const [mon, key, kind] of periodFields) if (vars.has(`${p.label}:${mon}`)) ps[key] = read(vars.get(`${p.label}:${mon}`)!, kind)
    })
  }
  return []
}
