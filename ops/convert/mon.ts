/**
 * What mon.cf watched on a group, as the group's own monitors. A tcp.monitor of a port on the group's
 * virtual IP is covered where an agent of the group checks that port (appserver's ports) or that server
 * (mysql, MariaDB's 3306): that resource's monitor runs at mon's interval, and, as ha-down.alert handed
 * the group over at the first alert, the resource moves the group at its first failure (migration-threshold
 * 1) instead of Pacemaker's default restart in place. halo-recover.alert's restarts in place are Pacemaker's
 * own recovery: recovery.cf's policy becomes the resource's migration-threshold (one more than halo's: halo
 * counts the restarts allowed, Pacemaker the failures that move) and failure-timeout. Everything else mon
 * did is listed: mon's other monitors and alerts are programs Pacemaker does not run.
 */
import { findResource, policyOf, type RecoveryConfig } from '../../ha.d/config/recovery.ts'
import type { ResourceGroup } from '../../ha.d/config/haresources.ts'
import type { MonCf, Service } from '../../mon/config/moncf.ts'
import type { Group, NotConverted, Primitive } from './model.ts'

const MYSQL_PORT = '3306'
/** the alert that hands the group to the peer: Pacemaker's own recovery replaces it */
const HANDOVER_ALERTS = new Set(['ha-down.alert'])
const RECOVER_ALERT = 'halo-recover.alert'

/** the v1 cluster's resources and its recovery policy, for halo-recover.alert */
export interface Recovery {
  haresources: ResourceGroup[]
  policy: RecoveryConfig
}

export function convertMonCf(mon: MonCf, groups: Group[], recovery: Recovery): NotConverted[] {
  const out: NotConverted[] = []
  for (const watch of mon.watches) {
    const group = groups.find((g) => g.members.some((m) => m.type === 'IPaddr' && watch.hosts.includes(param(m, 'ip') ?? '')))
    if (!group) {
      out.push({ file: watch.file, line: watch.line, reason: `watch ${watch.name}: its hosts (${watch.hosts.join(' ')}) are no virtual IP of the groups: not carried over (keep mon for it, outside the cluster)` })
      continue
    }
    for (const s of watch.services) convertService(s, group, recovery, out)
  }
  return out
}

function convertService(s: Service, group: Group, recovery: Recovery, out: NotConverted[]): void {
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
  for (const { a, line } of alerts.filter(({ a }) => a.name === RECOVER_ALERT)) recoverPolicy(covering, a.args[0] ?? s.name, recovery, s, line, out)
  for (const { a, line } of alerts.filter(({ a }) => !HANDOVER_ALERTS.has(a.name) && a.name !== RECOVER_ALERT)) {
    out.push({ file: s.file, line, reason: `service ${s.name}: alert ${a.name}: Pacemaker runs alert agents (pcs alert create path=…), not mon's alert scripts: add one that does what ${a.name} did` })
  }
}

/** halo-recover.alert RESOURCE: that resource's policy on the resource whose monitor covers the service */
function recoverPolicy(covering: Primitive, name: string, recovery: Recovery, s: Service, line: number, out: NotConverted[]): void {
  if (covering.meta.some(([k]) => k === 'migration-threshold')) return
  const found = findResource(recovery.haresources, name)
  if ('why' in found) {
    out.push({ file: s.file, line, reason: `service ${s.name}: alert ${RECOVER_ALERT} ${name}: ${found.why}; ${covering.id} keeps Pacemaker's default recovery` })
    return
  }
  const p = policyOf(recovery.policy, found.resource)
  covering.meta.push(['migration-threshold', p.threshold === null ? 'INFINITY' : String(p.threshold + 1)])
  if (p.windowMs > 0) covering.meta.push(['failure-timeout', `${Math.ceil(p.windowMs / 1000)}s`])
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
