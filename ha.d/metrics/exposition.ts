/**
 * The Prometheus text format (version 0.0.4) of the engine's view of the pair. ha_cluster_exporter's
 * names where the meaning is the same, so its dashboards work; halo_… for what Pacemaker has no word for.
 * Every metric is documented in README ("Metrics and the status page").
 */
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
}

const RESOURCE_STATES = ['local', 'foreign', 'all', 'none', 'transition']
const NODE_STATES = ['init', 'up', 'active', 'dead']

/** Prometheus label values: backslash, double quote and newline escaped. */
const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}=${quote(v)}`).join(',')}}`

export function exposition(v: ClusterView): string {
  const out: string[] = []
  const metric = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => {
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
  return `${out.join('\n')}\n`
}
