/**
 * ha.cf's ping nodes as Pacemaker's: an ocf:pacemaker:ping clone on every node sets the node attribute
 * pingd (hosts answering × multiplier), and each group gets a location rule that does ipfail's job: never
 * on a node that reaches no ping node, and else on the node that reaches more (the multiplier outweighs
 * any group's stickiness). ping_group counts as up when any of its hosts answers; ping counts each host.
 */
import type { HaCf } from '../../ha.d/config/hacf.ts'
import { metaOf } from './agents.ts'
import { cibId, type Clone, type Constraint, type Group, type NotConverted } from './model.ts'
import { opsFromMeta } from './resources.ts'

const PING_AGENT = '/usr/lib/ocf/resource.d/pacemaker/ping'
/** ping's own meta-data, when its package (pacemaker) is not on the machine that converts */
const PING_OPS = [
  { name: 'start', interval: '0s', timeout: '60s' },
  { name: 'stop', interval: '0s', timeout: '20s' },
  { name: 'monitor', interval: '10s', timeout: '60s' },
]
const MULTIPLIER = '10000'

export async function convertPing(hacf: HaCf, groups: Group[]): Promise<{ clones: Clone[]; constraints: Constraint[]; notConverted: NotConverted[] }> {
  const notConverted: NotConverted[] = []
  if (hacf.pingNodes.length === 0) return { clones: [], constraints: [], notConverted }
  for (const p of hacf.pingNodes.filter((p) => p.hosts.length > 1)) {
    notConverted.push({ file: hacf.file, line: p.line, reason: `ping_group ${p.name}: Pacemaker's ping counts each host, not the group: its hosts (${p.hosts.join(' ')}) are in host_list one by one` })
  }
  const meta = await metaOf([PING_AGENT, 'meta-data'], { ...process.env, OCF_ROOT: '/usr/lib/ocf' })
  const hosts = [...new Set(hacf.pingNodes.flatMap((p) => p.hosts))]
  const clone: Clone = {
    id: 'ping-clone',
    promotable: false,
    meta: [],
    primitive: {
      id: 'ping',
      class: 'ocf',
      provider: 'pacemaker',
      type: 'ping',
      // dampen: how long a change must last before it counts, Heartbeat's deadping
      params: [['host_list', hosts.join(' ')], ['multiplier', MULTIPLIER], ['dampen', `${Math.ceil(hacf.deadping / 1000)}s`]],
      ops: meta ? opsFromMeta(meta) : PING_OPS,
      meta: [],
    },
  }
  const constraints: Constraint[] = groups.map((g) => ({
    kind: 'location-rule',
    id: cibId(g.id, 'on-connected-node'),
    rsc: g.id,
    rules: [
      { score: '-INFINITY', booleanOp: 'or', expressions: [{ attribute: 'pingd', operation: 'not_defined' }, { attribute: 'pingd', operation: 'lte', value: '0' }] },
      { scoreAttribute: 'pingd', expressions: [{ attribute: 'pingd', operation: 'defined' }] },
    ],
  }))
  return { clones: [clone], constraints, notConverted }
}
