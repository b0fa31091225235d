/**
 * Fencing in a cluster whose nodes have BMCs (cluster's `bmc` option): the devices written into both nodes'
 * files as an admin writes them, a heartbeat cut that survives reboots, and a watch for two writers.
 */
import { appendFileSync, chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runOk } from '../../lib/exec.ts'
import type { FenceRecord } from '../../ha.d/fencing.ts'
import { type Scope, atEnd } from '../scope.ts'
import type { HaloNode } from './cluster.ts'
import { engineStatus } from './scenario.ts'

export type FenceKind = 'external/ipmi' | 'fence_ipmilan'

/**
 * Heartbeat's `stonith_host OTHER external/ipmi NODE BMC admin PASSWORD lan` lines in both ha.cf, or fence.cf
 * devices for fence_ipmilan (lanplus, cipher suite 3: ipmi_sim answers no other without a 10 s stall).
 */
export function fenceWith(nodes: readonly HaloNode[], kind: FenceKind, fenceCf: { delay?: string; options?: string } = {}): void {
  const bmc = (n: HaloNode) => {
    if (!n.bmc) throw new Error(`${n.name} has no BMC: make the cluster with { bmc: true }`)
    return n.bmc
  }
  for (const node of nodes) {
    const etc = join(node.dir, 'etc/ha.d')
    if (kind === 'external/ipmi') {
      // each line used from the other node only (HOSTFROM): Heartbeat 3.0.6 keeps only the last stonith_host
      // line that applies to it, so with `*` lines it would reset a node through the last BMC, its own too
      const other = (n: HaloNode) => nodes.find((x) => x !== n)!.name
      appendFileSync(join(etc, 'ha.cf'), nodes.map((n) => `stonith_host ${other(n)} external/ipmi ${n.name} ${bmc(n).address} ${bmc(n).user} ${bmc(n).password} lan\n`).join(''))
      chmodSync(join(etc, 'ha.cf'), 0o600)
    }
    const lines = kind === 'fence_ipmilan' ? nodes.map((n) => `device ${n.name} fence_ipmilan ip=${bmc(n).address} username=${bmc(n).user} password=${bmc(n).password} lanplus=1 cipher=3 ${fenceCf.options ?? ''}\n`) : []
    if (fenceCf.delay || lines.length) writeFileSync(join(etc, 'fence.cf'), `${fenceCf.delay ? `delay ${fenceCf.delay}\n` : ''}${lines.join('')}`, { mode: 0o600 })
  }
}

/**
 * Drops the node's UDP packets to `port` in its network namespace (nftables table `table`, one chain a hook),
 * which outlives the node's reboots; the returned function lets them through again.
 */
async function dropUdp(t: Scope, node: HaloNode, table: string, port: number, hooks: readonly ('input' | 'output')[]): Promise<() => Promise<void>> {
  const nft = (...args: string[]) => runOk(['ip', 'netns', 'exec', node.netns, 'nft', ...args])
  await nft('add', 'table', 'inet', table)
  atEnd(t, ['ip', 'netns', 'exec', node.netns, 'nft', 'delete', 'table', 'inet', table])
  for (const hook of hooks) {
    await nft('add', 'chain', 'inet', table, hook, `{ type filter hook ${hook} priority 0; }`)
    await nft('add', 'rule', 'inet', table, hook, 'udp', 'dport', String(port), 'drop')
  }
  return async () => void (await nft('delete', 'table', 'inet', table))
}

/** Cuts every heartbeat link of the node: udp/694 dropped both ways. */
export const cutHeartbeat = (t: Scope, node: HaloNode) => dropUdp(t, node, 'halocut', 694, ['input', 'output'])

/** Puts the node's BMCs out of its reach: its IPMI requests (udp/623) dropped. */
export const cutBmcs = (t: Scope, node: HaloNode) => dropUdp(t, node, 'halobmc', 623, ['output'])

/** The fences the node's engine made (and found already made: a peer its BMC says is off). */
export async function fences(node: HaloNode): Promise<FenceRecord[]> {
  return (await engineStatus(node)).fencing?.history ?? []
}

/** Power switches of a node since `sinceNs` (host time, ns). */
export const switchesSince = (node: HaloNode, sinceNs: bigint) => node.powerLog().filter((e) => e.ns >= sinceNs).map((e) => e.event)

export const nowNs = () => BigInt(Date.now()) * 1_000_000n

/**
 * Samples, every 10 ms until stopped, whether both nodes hold the resource at once (`holds`: read from the
 * host, false for a node without power). Returns the number of samples taken and those where both held.
 */
export function watchTwoWriters(a: HaloNode, b: HaloNode, holds: (n: HaloNode) => boolean): { stop(): { samples: number; both: number } } {
  let samples = 0
  let both = 0
  const timer = setInterval(() => {
    samples++
    if (holds(a) && holds(b)) both++
  }, 10)
  return {
    stop() {
      clearInterval(timer)
      return { samples, both }
    },
  }
}
