/**
 * Fencing as Pacemaker fence resources (fence-agents): fence.cf's `device NODE fence_AGENT key=value…` keeps
 * its options (fence-agents' stdin keys are their parameter names), checked against the agent's meta-data;
 * ha.cf's `stonith_host FROM external/ipmi HOST IP USER PASSWORD INTERFACE` becomes fence_ipmilan. Each
 * device is kept off the node it fences. Passwords never enter the output: the parameter says lrm://, which
 * makes Pacemaker read it from its secret store on each node (cibsecret), and not-converted.txt says so.
 * No fencing at all: stonith-enabled=false, as the v1 cluster ran, listed as the first thing to fix.
 */
import { existsSync } from 'node:fs'
import type { Stonith } from '../../ha.d/config/hacf.ts'
import type { FenceCf } from '../../ha.d/fence-cf.ts'
import { metaOf } from './agents.ts'
import { cibId, type Constraint, type NotConverted, type Pairs, type Primitive, uniqueIds } from './model.ts'

const SECRET = 'lrm://'
const FENCE_DIRS = ['/usr/sbin', '/sbin']
const secretKeys = new Set(['password', 'passwd'])

export interface FencingOut {
  primitives: Primitive[]
  constraints: Constraint[]
  notConverted: NotConverted[]
}

export async function convertFencing(stonith: Stonith[], hacfFile: string, fenceCf: FenceCf | undefined, nodes: string[]): Promise<FencingOut> {
  const out: FencingOut = { primitives: [], constraints: [], notConverted: [] }
  const fenceId = uniqueIds()
  const add = (target: string, agent: string, params: Pairs, file: string, line: number) => {
    const unique = fenceId(cibId('fence', target))
    const hidden = params.filter(([k]) => secretKeys.has(k))
    out.primitives.push({
      id: unique,
      class: 'stonith',
      type: agent,
      params: [...params.map(([k, v]): [string, string] => [k, secretKeys.has(k) ? SECRET : v]), ['pcmk_host_list', target]],
      ops: [{ name: 'monitor', interval: '60s', timeout: '20s' }],
      meta: [],
    })
    if (nodes.includes(target)) out.constraints.push({ kind: 'location', id: cibId(unique, 'not-on', target), rsc: unique, node: target, score: '-INFINITY' })
    for (const [k] of hidden) {
      out.notConverted.push({ file, line, reason: `${unique}: its ${k} is not written here (lrm:// in its place): store it in Pacemaker's secret store, on one node as root: cibsecret set ${unique} ${k} (then cibsecret sync)` })
    }
  }

  for (const s of stonith) {
    const where = { file: hacfFile, line: s.line }
    if (s.type !== 'external/ipmi' || s.params.length < 4) {
      out.notConverted.push({ ...where, reason: `stonith ${s.type}: no fence-agents equivalent known to halo convert (external/ipmi is): create the fence resource with pcs stonith create (pcs stonith list shows the agents)` })
      continue
    }
    // external/ipmi's parameters: hostname ipaddr userid passwd interface
    const [host, ip, user, password, iface] = s.params
    const params: Pairs = [['ip', ip], ['username', user], ['password', password]]
    if (iface === 'lanplus') params.push(['lanplus', '1'])
    add(host.toLowerCase(), 'fence_ipmilan', params, where.file, where.line)
  }
  for (const d of fenceCf?.devices ?? []) {
    const meta = await metaOf([FENCE_DIRS.map((dir) => `${dir}/${d.agent}`).find((p) => existsSync(p)) ?? d.agent, '-o', 'metadata'])
    const unknown = meta ? d.options.filter(([k]) => k !== 'action' && !meta.parameters.includes(k)) : []
    for (const [k] of unknown) out.notConverted.push({ file: fenceCf!.file, line: d.line, reason: `${d.agent} has no parameter ${k} (its meta-data): left out` })
    // the action is Pacemaker's to choose (pcmk_reboot_action); off stays off
    const action = d.options.find(([k]) => k === 'action')?.[1]
    const params = d.options.filter(([k]) => k !== 'action' && !unknown.some(([u]) => u === k))
    if (action === 'off') params.push(['pcmk_reboot_action', 'off'])
    add(d.target, d.agent, params, fenceCf!.file, d.line)
  }
  return out
}
