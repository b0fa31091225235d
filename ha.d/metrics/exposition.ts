/**
 * The Prometheus text format (version 0.0.4) of the engine's view of the pair. ha_cluster_exporter's
 * names where the meaning is the same, so its dashboards work; halo_… for what Pacemaker has no word for.
 * Every metric is documented in README ("Metrics and the status page").
 */
import type { DrbdResource } from '../../lib/drbd.ts'
import type { MonService } from '../../lib/moncmd.ts'
import { FAILOVER_BUCKETS, type FailoverRecord } from './tally.ts'

/**
 * What this node's engine knows of the pair: what /metrics and /status.json are made of. Readable by any
 * local user on loopback: nothing in it may be secret (no ha.cf parameters, no fence device's words).
 */
export interface ClusterView {
  version: string
  node: string
  /** ISO time of the snapshot */
  at: string
  nodes: { name: string; type: 'normal' | 'ping'; status: string; generation?: number; links: { iface: string; status: 'up' | 'dead' }[] }[]
  /** which groups this node holds: local|foreign|all|none|transition */
  resources: string
  groups: { owner: string; held: boolean; resources: { id: string; agent: string }[] }[]
  stonith: boolean
  counters: { deaths: number; falseDeaths: number; fences: { ok: number; failed: number }; failovers: number; failoverSeconds: number; buckets: number[] }
  /** newest first */
  failovers: FailoverRecord[]
  /** halo-mon's services (its `list opstatus`); absent when no halo-mon answers */
  mon?: MonService[]
  /** DRBD's resources (`drbdadm status`); absent without DRBD */
  drbd?: DrbdResource[]
}

const RESOURCE_STATES = ['local', 'foreign', 'all', 'none', 'transition']
const NODE_STATES = ['init', 'up', 'active', 'dead']

/** Prometheus label values: backslash, double quote and newline escaped. */
const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}=${quote(v)}`).join(',')}}`

export function exposition(v: ClusterView): string {
  const out: string[] = []
  const metric: Emit = (name, type, help, samples) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [l, value] of samples) out.push(`${name}${Object.keys(l).length ? labels(l) : ''} ${value}`)
  }
  const members = v.nodes.filter((n) => n.type === 'normal')
  metric('ha_cluster_pacemaker_nodes', 'gauge', 'Each node of ha.cf and each ping node: 1 when online (alive), 0 when not.',
    v.nodes.map((n) => [{ node: n.name, type: n.type === 'ping' ? 'ping' : 'member', status: 'online' }, n.status === 'dead' || n.status === 'init' ? 0 : 1]))
  metric('halo_node_state', 'gauge', 'The state cl_status nodestatus says of each node of ha.cf: 1 for its state, 0 for the others.',
    members.flatMap((n) => NODE_STATES.map((s): [Record<string, string>, number] => [{ node: n.name, state: s }, (n.status === s ? 1 : 0)])))
  metric('halo_node_generation', 'gauge', 'The generation each peer last announced (it grows at every restart).',
    members.filter((n) => n.generation !== undefined).map((n) => [{ node: n.name }, n.generation!]))
  metric('halo_link_up', 'gauge', 'Each heartbeat medium to each node: 1 when heard from within its deadtime.',
    members.flatMap((n) => n.links.map((l): [Record<string, string>, number] => [{ node: n.name, link: l.iface }, l.status === 'up' ? 1 : 0])))
  metric('ha_cluster_pacemaker_resources', 'gauge', 'Each resource of haresources as this node sees it: role started on this node when it holds the group, stopped here otherwise.',
    v.groups.flatMap((g) => g.resources.map((r): [Record<string, string>, number] => [
      { node: v.node, resource: r.id, agent: r.agent, group: g.owner, role: g.held ? 'started' : 'stopped', status: 'active', managed: 'true' }, 1])))
  metric('halo_resources_held', 'gauge', 'What this node holds, as cl_status rscstatus: 1 for the current word.',
    RESOURCE_STATES.map((s) => [{ state: s }, v.resources === s ? 1 : 0]))
  metric('ha_cluster_pacemaker_stonith_enabled', 'gauge', 'Whether a fence device is configured (ha.cf stonith lines or fence.cf).', [[{}, v.stonith ? 1 : 0]])
  const c = v.counters
  metric('halo_peer_deaths_total', 'counter', 'Times the peer was declared dead since the engine started.', [[{}, c.deaths]])
  metric('halo_false_deaths_total', 'counter', 'Peers declared dead that came back with the same generation: they never stopped (a partition, or a deadtime too short).', [[{}, c.falseDeaths]])
  metric('halo_fences_total', 'counter', 'Fence operations of the peer, by result.', [[{ result: 'ok' }, c.fences.ok], [{ result: 'failed' }, c.fences.failed]])
  metric('halo_failovers_total', 'counter', 'Takeovers completed on this node (the peer declared dead, shut down or gone standby), as the event history records them.', [[{}, c.failovers]])
  out.push('# HELP halo_failover_duration_seconds From the peer\'s last heartbeat (or its shutdown or standby) to everything running here, the takeover\'s timeline.', '# TYPE halo_failover_duration_seconds histogram')
  FAILOVER_BUCKETS.forEach((le, i) => out.push(`halo_failover_duration_seconds_bucket{le="${le}"} ${c.buckets[i]}`))
  out.push(`halo_failover_duration_seconds_bucket{le="+Inf"} ${c.failovers}`, `halo_failover_duration_seconds_sum ${c.failoverSeconds}`, `halo_failover_duration_seconds_count ${c.failovers}`)
  if (v.mon) monMetrics(v.mon, metric)
  if (v.drbd) drbdMetrics(v.drbd, metric)
  return `${out.join('\n')}\n`
}

type Emit = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => void

function monMetrics(services: readonly MonService[], metric: Emit): void {
  const id = (s: MonService) => ({ group: s.group, service: s.service })
  metric('halo_mon_service', 'gauge', "Each service of halo-mon's mon.cf, with its opstatus (ok, fail, untested, timeout…): 1 per service.",
    services.map((s) => [{ ...id(s), opstatus: s.opstatus }, 1]))
  metric('halo_mon_service_ok', 'gauge', 'Each service of halo-mon: 1 when its last check succeeded, 0 otherwise (failed, not yet tested, timed out).',
    services.map((s) => [id(s), s.opstatus === 'ok' ? 1 : 0]))
  metric('halo_mon_service_last_check_timestamp_seconds', 'gauge', "When halo-mon last checked each service (Unix time); absent before its first check.",
    services.filter((s) => s.lastCheck).map((s) => [id(s), Date.parse(s.lastCheck!) / 1000]))
}

// DRBD's state words as ha_cluster_exporter gives them: lower case
const word = (w: string) => w.toLowerCase()

function drbdMetrics(resources: readonly DrbdResource[], metric: Emit): void {
  // `drbdadm status` shows one volume per resource unless it has more; halo's resources have volume 0
  const volume = '0'
  const peers = resources.flatMap((r) => r.peers.map((p) => ({ r, p, id: { resource: r.name, peer: p.name, volume } })))
  metric('ha_cluster_drbd_resources', 'gauge', 'Each DRBD resource on this node, with its role and disk state: 1 per resource and volume.',
    resources.map((r) => [{ resource: r.name, role: word(r.role), volume, disk_state: word(r.disk) }, 1]))
  metric('ha_cluster_drbd_connections', 'gauge', "Each DRBD resource's connection to a peer, with the peer's role and disk state (unknown and dunknown while apart): 1 per connection.",
    peers.map(({ p, id }) => [{ ...id, peer_role: word(p.role), peer_disk_state: word(p.disk) }, 1]))
  metric('halo_drbd_connection_state', 'gauge', "Each DRBD connection's state (connected, connecting, standalone…): 1 per connection.",
    peers.map(({ p, id }) => [{ ...id, state: word(p.connection) }, 1]))
  metric('ha_cluster_drbd_connections_sync', 'gauge', 'How much of the data the connected peer has in sync, per cent: a resync\'s progress, 100 when none runs and both disks are UpToDate.',
    peers.filter(({ p }) => p.connection === 'Connected').map(({ r, p, id }) => [id, p.done ?? (r.disk === 'UpToDate' && p.disk === 'UpToDate' ? 100 : 0)]))
}
