/**
 * What mon.cf watched on a group, as the group's own monitors. A tcp.monitor of a port on the group's
 * virtual IP is covered where an agent of the group checks that port (appserver's ports) or that server
 * (mysql, MariaDB's 3306): that resource's monitor runs at mon's interval, and, as ha-down.alert handed
 * the group over at the first alert, the resource moves the group at its first failure (migration-threshold
 * 1) instead of Pacemaker's default restart in place. Everything else mon did is listed: mon's other
 * monitors and alerts are programs Pacemaker does not run.
 */
import type { MonCf, Service } from '../../mon/config/moncf.ts'
import type { Group, NotConverted, Primitive } from './model.ts'

const MYSQL_PORT = '3306'
/** the alert that hands the group to the peer: Pacemaker's own recovery replaces it */
const HANDOVER_ALERTS = new Set(['ha-down.alert'])

export function convertMonCf(mon: MonCf, groups: Group[]): NotConverted[] {
  const out: NotConverted[] = []
  for (const watch of mon.watches) {
    const group = groups.find((g) => g.members.some((m) => m.type === 'IPaddr' && watch.hosts.includes(param(m, 'ip') ?? '')))
    if (!group) {
      out.push({ file: watch.file, line: watch.line, reason: `watch ${watch.name}: its hosts (${watch.hosts.join(' ')}) are no virtual IP of the groups: not carried over (keep mon for it, outside the cluster)` })
      continue
    }
    for (const s of watch.services) convertService(s, group, out)
  }
  return out
}

function convertService(s: Service, group: Group, out: NotConverted[]): void {
  const skip = (reason: string) => out.push({ file: s.file, line: s.line, reason: `service ${s.name}: ${reason}` })
  const port = s.monitor?.name === 'tcp.monitor' ? portOf(s.monitor.args) : undefined
  const covering = port === undefined ? undefined : group.members.find((m) => covers(m, port))
  if (!covering) {
    skip(`monitor ${s.monitor?.text ?? '(none)'}: no resource of ${group.id} checks this; add a monitor of your own (an OCF agent in the group) or keep mon for it`)
    return
  }
  const interval = s.interval === undefined ? undefined : `${Math.max(1, Math.round(s.interval / 1000))}s`
  covering.ops = covering.ops.map((op) => (op.name === 'monitor' && interval ? { ...op, interval } : op))
  const alerts = s.periods.flatMap((p) => [...p.alert, ...p.upalert].map((a) => ({ a, line: p.line })))
  if (alerts.some(({ a }) => HANDOVER_ALERTS.has(a.name)) && !covering.meta.some(([k]) => k === 'migration-threshold')) {
    covering.meta.push(['migration-threshold', '1'])
  }
  for (const { a, line } of alerts.filter(({ a }) => !HANDOVER_ALERTS.has(a.name))) {
    out.push({ file: s.file, line, reason: `service ${s.name}: alert ${a.name}: Pacemaker runs alert agents (pcs alert create path=…), not mon's alert scripts: add one that does what ${a.name} did` })
  }
}

const param = (p: Primitive, name: string) => p.params.find(([k]) => k === name)?.[1]

function portOf(args: string[]): string | undefined {
  const i = args.indexOf('-p')
  return i >= 0 ? args[i + 1] : undefined
}

function covers(p: Primitive, port: string): boolean {
  if (p.type === 'mysql') return port === MYSQL_PORT
  if (p.type === 'appserver') return (param(p, 'ports') ?? '').split(/[\s,]+/).includes(port)
  return false
}
