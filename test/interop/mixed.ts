/**
 * What every mixed-cluster test shares: the check that the real Heartbeat node's log shows nothing
 * halo's packets could have caused, and waits on who runs what.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { HaloNode } from '../harness/cluster.ts'
import { logTrouble } from '../harness/heartbeat.ts'
import { until } from '../harness/wait.ts'

const RESOURCES = ['r1', 'r2', 'r3']

/** node runs exactly these hbtest resources of the default haresources */
export const runsExactly = (node: HaloNode, want: readonly string[]) => RESOURCES.every((r) => node.running(r) === want.includes(r))

/** A power cut: the node dies at once and what it ran is gone with it (hbtest's markers too). */
export async function powerCut(node: HaloNode): Promise<void> {
  await node.vm.powerCut()
  const dir = join(node.vm.dir, 'var/lib/heartbeat/hbtest')
  for (const f of existsSync(dir) ? readdirSync(dir) : []) if (f.endsWith('.running')) rmSync(join(dir, f))
}

/** Waits until a runs `onA` and b runs the rest, then until both say so in cl_status rscstatus. */
export async function placed(a: HaloNode, b: HaloNode, onA: readonly string[], ms = 20_000): Promise<void> {
  const onB = RESOURCES.filter((r) => !onA.includes(r))
  await until(`${onA.join(' ') || 'nothing'} on ${a.name}, ${onB.join(' ') || 'nothing'} on ${b.name}`, () => runsExactly(a, onA) && runsExactly(b, onB), ms)
}

/** Waits for `cl_status rscstatus` on node to say `want`. */
export async function settled(node: HaloNode, want: string, ms = 20_000): Promise<void> {
  await until(`${node.name} (${node.kind}): rscstatus ${want}`, async () => (await node.cmd('cl_status', 'rscstatus')) === want, ms)
}

/** Fails the test for every line of a Heartbeat node's logs that betrays a bad peer (see logTrouble). */
export function cleanLogs(t: Test, nodes: readonly HaloNode[]): void {
  for (const node of nodes.filter((n) => n.kind === 'heartbeat')) {
    const files = ['ha-log', 'ha-debug'].map((f) => join(node.vm.dir, 'var/lib/heartbeat', f)).filter(existsSync)
    const trouble = [...new Set(files.flatMap((f) => logTrouble(readFileSync(f, 'utf8'))))]
    t.same(trouble, [], `${node.name}'s Heartbeat log has no authentication failures, replays, late heartbeats or protocol errors`)
  }
}
