/**
 * What a Pacemaker node says of its cluster: `crm_mon --output-as=xml` (one shot) run inside the node, read
 * with xml2js into the few facts the lab waits on and the tests assert: the DC and quorum, each node's
 * membership, where each resource (group members and clone instances flattened) runs, fail counts, and the fencing history.
 */
import { parseStringPromise } from 'xml2js'

export interface NodeState {
  name: string
  online: boolean
  /** lost without being fenced yet */
  unclean: boolean
}

export interface ResourceState {
  id: string
  /** e.g. ocf:pacemaker:Dummy, stonith:fence_ipmilan */
  agent: string
  /** the group it is in, if any */
  group?: string
  role: string
  failed: boolean
  /** the nodes it runs on */
  on: string[]
}

export interface FenceEvent {
  target: string
  action: string
  status: string
  /** the node that fenced */
  delegate?: string
  completed?: string
}

export interface ClusterStatus {
  dc?: string
  quorate: boolean
  nodes: NodeState[]
  resources: ResourceState[]
  /** resource → node → fail count, where one is recorded */
  failCounts: Record<string, Record<string, number>>
  fencing: FenceEvent[]
}

type El = { $?: Record<string, string> } & { [child: string]: El[] | Record<string, string> | undefined }
const kids = (el: El | undefined, name: string): El[] => (el?.[name] as El[] | undefined) ?? []
const attr = (el: El | undefined, name: string): string | undefined => el?.$?.[name]

/** Reads crm_mon's XML; throws naming what is missing when it is not crm_mon's answer. */
export async function parseCrmMon(xml: string): Promise<ClusterStatus> {
  const doc = (await parseStringPromise(xml)) as { 'pacemaker-result'?: El }
  const top = doc['pacemaker-result']
  if (!top) throw new Error(`crm_mon: not its XML answer (no <pacemaker-result>): ${xml.slice(0, 200)}`)
  const dcEl = kids(kids(top, 'summary')[0], 'current_dc')[0]
  const nodes = kids(kids(top, 'nodes')[0], 'node').map((n) => ({ name: attr(n, 'name')!, online: attr(n, 'online') === 'true', unclean: attr(n, 'unclean') === 'true' }))
  const resource = (r: El, group?: string): ResourceState => ({
    id: attr(r, 'id')!,
    agent: attr(r, 'resource_agent') ?? '',
    group,
    role: attr(r, 'role') ?? '',
    failed: attr(r, 'failed') === 'true',
    on: kids(r, 'node').map((n) => attr(n, 'name')!),
  })
  const top_ = kids(top, 'resources')[0]
  // a clone's instances are each a resource of the same id
  const resources = [
    ...kids(top_, 'resource').map((r) => resource(r)),
    ...kids(top_, 'group').flatMap((g) => kids(g, 'resource').map((r) => resource(r, attr(g, 'id')))),
    ...kids(top_, 'clone').flatMap((c) => kids(c, 'resource').map((r) => resource(r))),
  ]
  const failCounts: ClusterStatus['failCounts'] = {}
  for (const n of kids(kids(top, 'node_history')[0], 'node')) {
    for (const h of kids(n, 'resource_history')) {
      const count = Number(attr(h, 'fail-count') ?? 0)
      if (count > 0) (failCounts[attr(h, 'id')!] ??= {})[attr(n, 'name')!] = count
    }
  }
  const fencing = kids(kids(top, 'fence_history')[0], 'fence_event').map((e) => ({
    target: attr(e, 'target')!,
    action: attr(e, 'action')!,
    status: attr(e, 'status')!,
    delegate: attr(e, 'delegate'),
    completed: attr(e, 'completed'),
  }))
  return { dc: attr(dcEl, 'present') === 'true' ? attr(dcEl, 'name') : undefined, quorate: attr(dcEl, 'with_quorum') === 'true', nodes, resources, failCounts, fencing }
}

/** where a resource runs (one node, or undefined if it is stopped or runs on several) */
export function runsOn(status: ClusterStatus, id: string): string | undefined {
  const r = status.resources.find((x) => x.id === id)
  return r && r.on.length === 1 && r.role === 'Started' ? r.on[0] : undefined
}
