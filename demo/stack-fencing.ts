/**
 * The stack's fence devices: a management LAN (10.0.9.0/24, each node's eth2) with one BMC per node
 * (ipmi_sim, demo/bmc.ts) at the address the example's ha.cf gives it, and that ha.cf's commented
 * `stonith_host PEER external/ipmi NODE …` lines filled in as the admin fills them in: uncommented, with the
 * BMC's address and its password (new every run). Without ipmi_sim or cluster-glue's stonith (a production node
 * has no test packages) the stack runs without fencing.
 */
import { findExecutable } from '../lib/which.ts'
import { HaloError } from '../lib/errors.ts'
import { managementLan, plugIn, startBmc, type Bmc } from './bmc.ts'
import type { VirtualNode } from './node.ts'
import type { Scope } from './scope.ts'

/** what the fencing act needs, by the Debian package that brings it */
const PROGRAMS = { ipmi_sim: 'openipmi', ipmitool: 'ipmitool', stonith: 'cluster-glue' } as const
export const FENCING_PACKAGES = [...new Set(Object.values(PROGRAMS))]

/** each node's port on the management LAN, and its BMC's address there (the example's 10.0.9.1 and .2) */
export const MANAGEMENT = {
  node1: { eth2: '10.0.9.11/24', bmc: '10.0.9.1' },
  node2: { eth2: '10.0.9.12/24', bmc: '10.0.9.2' },
} as const

/** the programs of the fencing act that are not installed (none: the stack fences) */
export function fencingMissing(dirs: readonly string[] = ['/usr/sbin', '/usr/bin', '/sbin', '/bin']): string[] {
  return Object.keys(PROGRAMS).filter((p) => !findExecutable(p, dirs))
}

/** Makes `lan` the management LAN and plugs each node's network namespace into it as eth2. */
export async function cableManagementLan(lan: string, nodeNetns: readonly string[]): Promise<void> {
  await managementLan(lan)
  for (const ns of nodeNetns) await plugIn(lan, ns, 'eth2')
}

/** Starts each node's BMC on the management LAN; stopped when the scope closes. */
export async function startBmcs(scope: Scope, lan: string, nodes: readonly VirtualNode[]): Promise<Map<string, Bmc>> {
  const bmcs = new Map<string, Bmc>()
  for (const node of nodes) {
    const address = MANAGEMENT[node.name as keyof typeof MANAGEMENT]?.bmc
    if (!address) throw new Error(`no management address for ${node.name}`)
    bmcs.set(node.name, await startBmc(scope, { lan, address, node }))
  }
  return bmcs
}

/**
 * The example's ha.cf with its `#stonith_host HOSTFROM external/ipmi NODE ADDRESS USER PASSWORD IFACE` line
 * of each node uncommented and filled in with that node's BMC. The file then holds passwords: write it 0600.
 */
export function fillStonithLines(hacf: string, bmcs: ReadonlyMap<string, Bmc>, file: string): string {
  let text = hacf
  for (const [node, bmc] of bmcs) {
    const line = new RegExp(`^#\\s*stonith_host (\\S+) external/ipmi ${node} \\S+ \\S+ \\S+ (lan|lanplus)$`, 'm')
    if (!line.test(text)) throw new HaloError(1, `${file}: no commented \`stonith_host … external/ipmi ${node} …\` line to fill in with ${node}'s BMC`)
    text = text.replace(line, (_, from: string, iface: string) => `stonith_host ${from} external/ipmi ${node} ${bmc.address} ${bmc.user} ${bmc.password} ${iface}`)
  }
  return text
}
