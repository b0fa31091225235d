/**
 * What cluster scenarios ask of their nodes, halo or Heartbeat alike: who runs which hbtest resource, the
 * settled resource state, the engine's own status, and a power cut that takes the node's resources with it.
 */
import { ask, controlSocket, type EngineStatus } from '../../ha.d/control.ts'
import type { HaloNode } from './cluster.ts'
import { until } from '../../lib/wait.ts'

const RESOURCES = ['r1', 'r2', 'r3']

/** The node runs exactly these of the hbtest resources r1 r2 r3. */
export const runsExactly = (node: HaloNode, want: readonly string[]) => RESOURCES.every((r) => node.running(r) === want.includes(r))

/** Waits until a runs `onA` and b runs the rest. */
export async function placed(a: HaloNode, b: HaloNode, onA: readonly string[], ms = 20_000): Promise<void> {
  const onB = RESOURCES.filter((r) => !onA.includes(r))
  await until(`${onA.join(' ') || 'nothing'} on ${a.name}, ${onB.join(' ') || 'nothing'} on ${b.name}`, () => runsExactly(a, onA) && runsExactly(b, onB), ms)
}

/** Waits until each node runs its own group (r1 r2 on a, r3 on b) and both say so: the cluster at home. */
export async function atHome(a: HaloNode, b: HaloNode, ms = 20_000): Promise<void> {
  await placed(a, b, ['r1', 'r2'], ms)
  await settled(a, 'local')
  await settled(b, 'local')
}

/** Waits until `cl_status rscstatus` on the node says `rsc` (local, foreign, all, none). */
export async function settled(node: HaloNode, rsc: string, ms = 20_000): Promise<void> {
  await until(`${node.name} (${node.kind}): rscstatus ${rsc}`, async () => (await node.cmd('cl_status', 'rscstatus')) === rsc, ms)
}

/** The engine's status as the control socket gives it, read from the host through the node's /run. */
export async function engineStatus(node: HaloNode): Promise<EngineStatus> {
  const answer = await ask({ op: 'status' }, node.vm.path(controlSocket({})))
  if (!answer?.ok || !answer.status) throw new Error(`${node.name}: no status from the engine`)
  return answer.status
}

/** The hbtest calls on a node, as "action name" words in order. */
export const calls = (node: HaloNode, action?: string) =>
  node
    .hbtestLog()
    .filter((e) => action === undefined || e.action === action)
    .map((e) => `${e.action} ${e.name}`)

/**
 * A power cut: the node dies at once, and so do the resources it ran (their marks are in its /run).
 * Resolves with the instant the power went (epoch ms, from the node's power log), once the node is gone.
 */
export async function powerCut(node: HaloNode): Promise<number> {
  await node.vm.powerCut()
  return Number(node.powerLog().at(-1)!.ns / 1_000_000n)
}
