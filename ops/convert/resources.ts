/**
 * haresources' groups as Pacemaker resources: each line a group of ocf:halo primitives (the v1 arguments
 * turned into named parameters by the agent itself), drbddisk a promotable ocf:halo:drbd clone the group
 * is colocated with (Promoted role) and ordered after (promote), an init script an lsb: resource, the
 * preferred node a location score. What cannot be carried over is listed with its file:line.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { scriptCandidates, type ResourceGroup } from '../../ha.d/config/haresources.ts'
import type { AgentMeta, Agents } from './agents.ts'
import { cibId, type Clone, type Constraint, type Group, type NotConverted, type Op, type Primitive, uniqueIds } from './model.ts'

/** the preferred node's location score; auto_failback off keeps a group where it is with more stickiness */
export const PREFERRED_SCORE = 100

export interface GroupsIn {
  groups: ResourceGroup[]
  file: string
  confDir: string
  /** where /etc/init.d is ('/' but in tests) */
  root: string
  agents: Agents
  /** DRBD resource → the nodes its .res file has an `on` section for (when --drbd-conf was read) */
  drbdHosts: Map<string, string[]>
  nodes: string[]
}

export interface GroupsOut {
  groups: Group[]
  clones: Clone[]
  constraints: Constraint[]
  notConverted: NotConverted[]
}

/** The operations Pacemaker should run, with the timeouts and intervals the agent's meta-data advertises. */
export function opsFromMeta(meta: AgentMeta | undefined, promotable = false): Op[] {
  if (!meta) return []
  const ops: Op[] = []
  for (const m of meta.ops) {
    if (m.name === 'monitor') {
      if ((m.depth ?? '0') !== '0' || !m.interval) continue
      if (promotable !== (m.role !== undefined)) continue
      const role = m.role === 'Promoted' || m.role === 'Master' ? 'Promoted' : m.role ? 'Unpromoted' : undefined
      ops.push({ name: 'monitor', interval: m.interval, timeout: m.timeout ?? '20s', ...(role ? { role } : {}) })
    } else if (['start', 'stop', 'promote', 'demote', 'notify'].includes(m.name) && (promotable || !['promote', 'demote', 'notify'].includes(m.name))) {
      ops.push({ name: m.name, interval: '0s', timeout: m.timeout ?? '20s' })
    }
  }
  return ops
}

export async function convertGroups(o: GroupsIn): Promise<GroupsOut> {
  const out: GroupsOut = { groups: [], clones: [], constraints: [], notConverted: [] }
  const unique = uniqueIds()
  const skip = (line: number, reason: string) => out.notConverted.push({ file: o.file, line, reason })

  // every agent asked at once (each answer is a program started): the groups are then built in order
  const asked = await Promise.all(o.groups.map((g) => Promise.all(g.resources.map((r) => ask(o.agents, r.script, r.args)))))
  for (const [gi, g] of o.groups.entries()) {
    const members: Primitive[] = []
    const clones: Clone[] = []
    for (const [i, r] of g.resources.entries()) {
      const { agent, mapped, meta } = asked[gi][i]
      if (r.script === 'halo-mon') {
        skip(g.line, `${r.text}: not carried over: Pacemaker monitors each resource itself (its op monitor) and recovers it, which is what halo-mon and its ha-down.alert did for the group (mon.cf's services become the resources' monitors where an agent covers them; the others are listed here)`)
        continue
      }
      if (agent === undefined) {
        const lsb = lsbResource(r.script, r.args, o, g.line, skip)
        if (lsb) members.push({ ...lsb, id: unique(cibId(r.script)) })
        continue
      }
      if (!mapped || 'error' in mapped) {
        skip(g.line, `${r.text}: the ${agent} agent refuses these arguments: ${mapped?.error}`)
        continue
      }
      if (agent === 'drbddisk') {
        const clone = drbdClone(r.text, mapped.params, o, g.line, skip, unique)
        if (clone) {
          clone.primitive.ops = opsFromMeta(meta, true)
          if (i > 0 && members.length > 0) skip(g.line, `${r.text}: not the group's first resource: Pacemaker starts the whole group after the DRBD promotion, so ${members.map((m) => m.id).join(', ')} now start after it too`)
          clones.push(clone)
        }
        continue
      }
      members.push({
        id: unique(cibId(agent, keyOf(mapped.params))),
        class: 'ocf',
        provider: 'halo',
        type: agent,
        params: mapped.params,
        ops: opsFromMeta(meta),
        meta: [],
      })
    }
    out.clones.push(...clones)
    if (members.length === 0) {
      if (clones.length === 0) skip(g.line, `the group of ${g.key}: nothing in it could be converted`)
      continue
    }
    const group: Group = { id: unique(cibId('group', members[0].id)), members }
    out.groups.push(group)
    out.constraints.push({ kind: 'location', id: cibId('prefer', group.id, g.node), rsc: group.id, node: g.node, score: String(PREFERRED_SCORE) })
    for (const c of clones) {
      out.constraints.push(
        { kind: 'colocation', id: cibId(group.id, 'with', c.id), rsc: group.id, withRsc: c.id, withRole: 'Promoted', score: 'INFINITY' },
        { kind: 'order', id: cibId(c.id, 'before', group.id), first: c.id, firstAction: 'promote', then: group.id, thenAction: 'start', orderKind: 'Mandatory' },
      )
    }
  }
  for (const c of out.clones) {
    const hosts = o.drbdHosts.get(paramOf(c.primitive, 'drbd_resource') ?? '')
    for (const node of o.nodes.filter((n) => hosts && !hosts.includes(n))) {
      out.constraints.push({ kind: 'location', id: cibId(c.id, 'not-on', node), rsc: c.id, node, score: '-INFINITY' })
    }
  }
  return out
}

/** what the agents say of one haresources resource: which agent, its named parameters, its meta-data (drbddisk's is drbd's) */
async function ask(agents: Agents, script: string, args: string[]) {
  if (script === 'halo-mon') return { agent: undefined }
  const agent = await agents.agentOf(script)
  if (agent === undefined) return { agent }
  const [mapped, meta] = await Promise.all([agents.parameters(agent, args), agents.meta(agent === 'drbddisk' ? 'drbd' : agent)])
  return { agent, mapped, meta }
}

const paramOf = (p: Primitive, name: string) => p.params.find(([k]) => k === name)?.[1]

/** the parameter that tells two resources of one agent apart, for a readable id */
function keyOf(params: [string, string][]): string {
  for (const name of ['ip', 'directory', 'drbd_resource']) {
    const value = params.find(([k]) => k === name)?.[1]
    if (value) return value.replace(/^\//, '')
  }
  return ''
}

function drbdClone(
  text: string,
  params: [string, string][],
  o: GroupsIn,
  line: number,
  skip: (line: number, reason: string) => void,
  unique: (id: string) => string,
): Clone | undefined {
  // drbddisk's tool paths come from Heartbeat's environment, not from haresources: only the resource is kept
  const res = params.find(([k]) => k === 'drbd_resource')?.[1]
  if (!res) {
    skip(line, `${text}: no DRBD resource named: Pacemaker's drbd agent drives one resource; write drbddisk::r0`)
    return undefined
  }
  const hosts = o.drbdHosts.get(res)
  const id = unique(cibId('drbd', res))
  return {
    id: unique(`${id}-clone`),
    promotable: true,
    primitive: { id, class: 'ocf', provider: 'halo', type: 'drbd', params: [['drbd_resource', res]], ops: [], meta: [] },
    // one Primary: the group's node; notify: the agent learns of its peer's promotions and demotions
    meta: [
      ['promotable', 'true'],
      ['promoted-max', '1'],
      ['promoted-node-max', '1'],
      ['clone-max', String(hosts?.length ?? Math.min(2, o.nodes.length))],
      ['clone-node-max', '1'],
      ['notify', 'true'],
    ],
  }
}

/** A script of /etc/init.d runs as lsb:NAME; one of resource.d (a v1 script with arguments) has no Pacemaker class. */
function lsbResource(script: string, args: string[], o: GroupsIn, line: number, skip: (line: number, reason: string) => void): Primitive | undefined {
  const [resourceD, initD] = scriptCandidates(script, o.confDir, join(o.root, 'etc/init.d'))
  if (existsSync(resourceD)) {
    skip(line, `${[script, ...args].join('::')}: ${resourceD} is a Heartbeat v1 script, not one of halo's agents: Pacemaker runs OCF agents, LSB init scripts and systemd units; write an OCF agent for it or use its service's init script or unit`)
    return undefined
  }
  if (!existsSync(initD)) {
    skip(line, `${[script, ...args].join('::')}: unknown resource: no ${resourceD} and no ${initD}, and no halo agent of that name; install it or correct the name`)
    return undefined
  }
  if (args.length > 0) {
    skip(line, `${[script, ...args].join('::')}: ${initD} with arguments: an LSB resource takes none; carried over as lsb:${script} without "${args.join(' ')}"`)
  }
  return { id: script, class: 'lsb', type: script, params: [], ops: [{ name: 'monitor', interval: '15s', timeout: '15s' }], meta: [] }
}
