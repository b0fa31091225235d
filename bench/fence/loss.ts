// False deaths on a lossy heartbeat link: a two-node cluster of one kind (halo or the real Heartbeat 3.0.6,
// same ha.cf) settles at home, then X % of each node's heartbeat datagrams from its peer are dropped for
// N seconds. What is counted is what each node wrote in its log while the loss lasted: halo's
// "node X is dead (…)" and Heartbeat's "node X: is dead" (mark_node_dead, also for itself when its own
// heartbeat stops coming back: "No local heartbeat"). A healthy peer declared dead is a false death:
// with fencing on, it costs that peer a reboot.
// Needs root and `node build.ts halo-heartbeat cl_status hb_standby hb_takeover`.
import { setTimeout as sleep } from 'node:timers/promises'
import { ClosableScope } from '../../demo/scope.ts'
import { STARTUP_DT_WINDOW_MS } from '../../ha.d/engine.ts'
import { type ClusterOptions, type HaloNode, type NodeKind, cluster } from '../../demo/hbtest/cluster.ts'
import { lossyLink } from '../../demo/hbtest/loss.ts'
import { atHome } from '../../demo/hbtest/scenario.ts'

export interface LossFigures {
  kind: NodeKind
  /** % of the peer's datagrams dropped on the way in, on each node */
  loss: number
  seconds: number
  /** deaths each node declared while the loss lasted, by node */
  deaths: Record<string, number>
  /** hbtest starts while the loss lasted: groups taken over because of a false death */
  takeovers: number
}

/** The log lines that declare a node dead, in halo's words and in Heartbeat's. */
const DEATH: Record<NodeKind, RegExp> = { halo: /\bnode \S+ is dead \(/g, heartbeat: /\bnode \S+: is dead\b/g }

const deathsIn = (node: HaloNode, from: number) => node.haLog().slice(from).match(DEATH[node.kind])?.length ?? 0

/**
 * Runs a pair of `kind` nodes at home, then `loss` % loss on the link both ways for `seconds`; the cluster
 * (keepalive 200ms, deadtime 1, bcast, unless `opts` says otherwise) is torn down before it returns.
 */
export async function falseDeaths(kind: NodeKind, loss: number, seconds: number, opts: ClusterOptions = {}): Promise<LossFigures> {
  const s = new ClosableScope()
  try {
    const [a, b] = await cluster(s, { keepalive: '200ms', deadtime: '1', warntime: '500ms', ...opts, kinds: [kind, kind] })
    await Promise.all([a.boot(), b.boot()])
    await atHome(a, b, 60_000)
    // both advertise deadtime + 2 s for their first 5 s (as Heartbeat): the loss starts after that window
    await sleep(STARTUP_DT_WINDOW_MS)
    const logFrom = [a.haLog().length, b.haLog().length]
    const startsFrom = [a.hbtestLog().length, b.hbtestLog().length]
    const links = [await lossyLink(a.netns, b.address, loss), await lossyLink(b.netns, a.address, loss)]
    await sleep(seconds * 1000)
    for (const l of links) await l.heal()
    const starts = [a, b].reduce((n, node, i) => n + node.hbtestLog().slice(startsFrom[i]).filter((e) => e.action === 'start').length, 0)
    return { kind, loss, seconds, deaths: { [a.name]: deathsIn(a, logFrom[0]), [b.name]: deathsIn(b, logFrom[1]) }, takeovers: starts }
  } finally {
    s.close()
  }
}
