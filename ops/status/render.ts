/** `halo status`'s three faces: the screen (as crm_mon -1 reads), JSON for scripts, XML for crm_mon's users. */
import { formatDuration } from '../../lib/time.ts'
import type { Failures, StatusReport } from './collect.ts'

const stamp = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')

/** A resource's failures as the engine counts them, when there are any. */
const failed = (f?: Failures) =>
  f && f.count > 0 ? `; ${f.count} failure(s) (migration-threshold ${f.threshold ?? 'INFINITY'}${f.windowMs ? ` within ${formatDuration(f.windowMs)}` : ''}), last at ${stamp(f.at[f.at.length - 1])}` : ''

const since = (iso?: string) => (iso ? `, up since ${stamp(iso)}` : '')

export function renderText(r: StatusReport): string {
  const out: string[] = []
  const engine = r.engine.running ? `halo-heartbeat ${r.engine.version}, pid ${r.engine.pid}` : `ENGINE DOWN: ${r.engine.error}`
  out.push(`Cluster status on ${r.node} at ${stamp(r.time)} (${engine})`)
  out.push(`Health: ${r.health.toUpperCase()}`)
  if (r.configError) out.push(`Configuration: ${r.configError}`)
  out.push('', 'Nodes:')
  for (const n of r.nodes) {
    const links = n.links.length ? `; links: ${n.links.map((l) => `${l.iface} ${l.status}`).join(', ')}` : ''
    const gen = n.generation !== undefined ? `, generation ${n.generation}` : ''
    out.push(`  * ${n.name}${n.self ? ' (this node)' : ''}: ${n.status}${gen}${since(n.since)}${links}`)
  }
  if (r.pingNodes.length) {
    out.push('Ping nodes:')
    for (const p of r.pingNodes) out.push(`  * ${p.name}: ${p.status}`)
  }
  out.push('', 'Resource groups:')
  if (!r.groups.length) out.push('  (none known)')
  for (const g of r.groups) {
    const held = g.heldBy === null ? 'held by nobody known' : g.heldBy === 'transition' ? 'in transition' : `held by ${g.heldBy}`
    out.push(`  * ${g.resources[0]?.name ?? '(empty)'} (preferred ${g.owner}): ${held}`)
    const width = Math.max(...g.resources.map((x) => x.name.length))
    for (const x of g.resources) out.push(`      ${x.name.padEnd(width)}  ${x.state} on ${r.node}${x.detail ? ` (${x.detail})` : ''}${failed(x.failures)}`)
  }
  if (r.drbd) {
    out.push('', 'DRBD:')
    if (r.drbd.error) out.push(`  ${r.drbd.error}`)
    for (const d of r.drbd.resources) {
      const peers = d.peers.map((p) => `${p.name} ${p.connection === 'Connected' ? `${p.role} ${p.disk}${p.replication && p.replication !== 'Established' ? ` (${p.replication})` : ''}` : p.connection}`)
      out.push(`  * ${d.name}: ${d.role} ${d.disk}${peers.length ? `; peer ${peers.join(', ')}` : ''}`)
    }
  }
  out.push('', `halo-mon (${r.mon.at}):`)
  if (r.mon.error) out.push(`  ${r.mon.error}`)
  for (const s of r.mon.services) out.push(`  * ${s.group}/${s.service}: ${s.opstatus}${s.summary ? ` (${s.summary})` : ''}`)
  out.push('', `Fencing: ${r.fencing.configured ? r.fencing.devices.map((d) => `${d.type} ${d.where} for ${d.targets.join(' ')}${d.answers === false ? ' (NOT ANSWERING)' : ''}`).join('; ') : r.engine.running ? 'not configured' : 'unknown (engine down)'}`)
  const f = r.fencing.lastFence
  if (f) out.push(`  last fence: ${f.target} by ${f.device} (${f.action}) at ${f.at}: ${f.ok ? 'confirmed' : `FAILED: ${f.said}`} in ${f.ms} ms`)
  const lf = r.lastFailover
  out.push(`Last failover: ${lf ? `${lf.at}: ${lf.why}, ${lf.ms} ms` : 'none recorded'}`)
  if (r.problems.length) out.push('', 'Problems:', ...r.problems.map((p) => `  * ${p}`))
  return `${out.join('\n')}\n`
}

export const renderJson = (r: StatusReport): string => `${JSON.stringify(r, null, 2)}\n`

const esc = (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;')
/** an element whose defined scalar fields are its attributes */
const el = (name: string, attrs: object, children: string[] = [], indent = '  '): string => {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('')
  return children.length ? `${indent}<${name}${a}>\n${children.join('')}${indent}</${name}>\n` : `${indent}<${name}${a}/>\n`
}

/** The same facts as the JSON, as elements and attributes (crm_mon --output-as=xml's way). */
export function renderXml(r: StatusReport): string {
  const i2 = '    '
  const i3 = '      '
  const parts = [
    el('summary', { node: r.node, time: r.time, health: r.health, 'config-error': r.configError }),
    el('engine', r.engine),
    el('nodes', {}, r.nodes.map((n) => el('node', { name: n.name, self: n.self, status: n.status, generation: n.generation, since: n.since }, n.links.map((l) => el('link', l, [], i3)), i2))),
    el('ping-nodes', {}, r.pingNodes.map((p) => el('ping-node', p, [], i2))),
    el('groups', {}, r.groups.map((g) => el('group', { owner: g.owner, 'held-by': g.heldBy }, g.resources.map(({ failures: f, ...x }) => el('resource', f && f.count > 0 ? { ...x, 'fail-count': f.count, 'migration-threshold': f.threshold ?? 'INFINITY', 'failure-timeout-ms': f.windowMs, 'last-failure': f.at[f.at.length - 1] } : x, [], i3)), i2))),
    ...(r.drbd ? [el('drbd', { error: r.drbd.error }, r.drbd.resources.map((d) => el('resource', { name: d.name, role: d.role, disk: d.disk }, d.peers.map((p) => el('peer', p, [], i3)), i2)))] : []),
    el('mon', { at: r.mon.at, running: r.mon.running, error: r.mon.error }, r.mon.services.map((s) => el('service', s, [], i2))),
    el('fencing', { configured: r.fencing.configured }, [
      ...r.fencing.devices.map((d) => el('device', { type: d.type, where: d.where, targets: d.targets.join(' '), answers: d.answers }, [], i2)),
      ...(r.fencing.lastFence ? [el('last-fence', r.fencing.lastFence, [], i2)] : []),
    ]),
    ...(r.lastFailover ? [el('last-failover', r.lastFailover)] : []),
    el('problems', {}, r.problems.map((p) => el('problem', { text: p }, [], i2))),
  ]
  return `<?xml version="1.0"?>\n<halo-status>\n${parts.join('')}</halo-status>\n`
}
