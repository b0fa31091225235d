// bench/pacemaker: the example cluster past two nodes. Power cut of the node serving → the client's next
// commit through the virtual IP, on Pacemaker + Corosync (three virtual nodes, the example converted by
// `halo convert --nodes node1,node2,node3`: token 1000 ms, 1650 ms with three nodes; fenced through the BMCs,
// fence_ipmilan's reboot) against the halo pair (the example stack, bench/stack.ts's measure), same run.
// Then what each costs at idle, per node: CPU and PSS of every process of the node but its init
// (Pacemaker's daemons and corosync; halo's engine, and halo-mon on the node serving), over --idle seconds.
//   npm run bench:pacemaker [-- --runs 10 --idle 60]       (root; needs the programs built into dist/)
import { fileURLToPath } from 'node:url'
import { exampleOnPacemaker } from '../demo/pacemaker-example.ts'
import type { ClusterStatus } from '../demo/pacemaker-status.ts'
import { ms, now, startClient } from '../demo/scenario.ts'
import { ClosableScope } from '../demo/scope.ts'
import type { VirtualNode } from '../demo/node.ts'
import { type IdleCost, idleCost } from './failover/node-cost.ts'
import { median, numberFlag, printTable } from './lib/measure.ts'
import { bin, stackCuts } from './lib/stack-cuts.ts'

const runs = numberFlag('runs', 10)
const idleSeconds = numberFlag('idle', 60)
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number')
// the example's haresources with a shared disk in place of DRBD: the scenario tests' fixture (data, not code)
const haresources = fileURLToPath(new URL('../test/demo/pacemaker-example/haresources', import.meta.url))

type Idle = { name: string; serving: boolean; cost: IdleCost }[]
const idleOf = (nodes: readonly VirtualNode[], serving: string) =>
  Promise.all(nodes.map(async (n) => ({ name: n.name, serving: n.name === serving, cost: await idleCost(n, idleSeconds) })))

async function pacemaker(): Promise<{ took: number[]; idle: Idle }> {
  const scope = new ClosableScope()
  try {
    const lab = await exampleOnPacemaker(scope, { bin, haresources, say: (s) => console.error(`# pacemaker: ${s}`) })
    const { cluster } = lab
    const client = startClient(cluster, bin, scope)
    await client.commitAfter(0n, 60_000)
    await cluster.idle()
    console.error(`# pacemaker: idle for ${idleSeconds} s`)
    const idle = await idleOf(cluster.nodes.map((n) => n.vm), lab.holder(await lab.settled())!)
    const took: number[] = []
    const pingOn = (s: ClusterStatus, node: string) => s.resources.some((r) => r.id === 'ping' && r.role === 'Started' && r.on.includes(node))
    for (let i = 0; i < runs; i++) {
      const from = lab.holder(await lab.settled())!
      const at = now()
      await cluster.node(from).vm.powerCut()
      // a commit the dying node acknowledged while the power went is no proof of service: count from its death
      const served = await client.commitAfter(now(), 120_000)
      took.push(ms(at, served))
      const to = lab.holder(await lab.settled(cluster.nodes.map((n) => n.name).filter((n) => n !== from)))!
      console.error(`# pacemaker run ${i + 1}: ${from} cut, ${to} served a commit after ${took.at(-1)!.toFixed(0)} ms`)
      // fenced by a reboot, the node comes back on its own: the next cut once it runs its ping instance again
      await cluster.until(`${from} back`, (s) => s.nodes.some((n) => n.name === from && n.online) && pingOn(s, from), 180_000)
      await cluster.idle()
    }
    client.stop()
    return { took, idle }
  } finally {
    scope.close()
  }
}

let haloIdle: Idle = []
const halo = await stackCuts('halo', runs, new ClosableScope(), async (stack) => {
  console.error(`# halo: idle for ${idleSeconds} s`)
  haloIdle = await idleOf(stack.nodes, stack.watcher.active())
})
const pcmk = await pacemaker()

printTable('power cut of the node serving → next commit through the virtual IP', [{ what: 'whole stack', halo: median(halo), theirs: median(pcmk.took), against: 'Pacemaker 2.1.5 + Corosync 3.1.7, 3 nodes' }], runs)
for (const [who, took] of [['halo (2 nodes, deadtime 1)', halo], ['Pacemaker (3 nodes, token 1000 → 1650 ms)', pcmk.took]] as const) {
  console.log(`${who}: min ${Math.min(...took).toFixed(0)} ms, max ${Math.max(...took).toFixed(0)} ms, all ${took.map((x) => x.toFixed(0)).join(' ')}`)
}
console.log(`\nidle, per node, ${idleSeconds} s: processes, CPU % of one core, PSS MB`)
for (const [who, idle] of [['halo', haloIdle], ['Pacemaker', pcmk.idle]] as const) {
  for (const n of idle) console.log(`${who.padEnd(10)} ${n.name} ${n.serving ? 'serving' : 'standby'} ${String(n.cost.processes).padStart(3)} ${n.cost.cpu.toFixed(2).padStart(6)} % ${n.cost.pss.toFixed(1).padStart(6)} MB`)
}
