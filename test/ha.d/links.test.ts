// Heartbeat paths: a second medium keeps the cluster whole when the first fails; with every medium cut,
// a ping node tells the node cut off from the world (it gives up) from the one that is not (it takes over).
import t from 'tap'
import { runOk } from '../../lib/exec.ts'
import { type Scope, uniqueName } from '../harness/cleanup.ts'
import { cluster, type HaloNode } from '../harness/cluster.ts'
import { netns, veth } from '../harness/netns.ts'
import { until } from '../../lib/wait.ts'
import { atHome, calls, runsExactly, settled } from '../harness/scenario.ts'

const ip = (ns: string, ...args: string[]) => runOk(['ip', '-n', ns, ...args])
const linkDown = (n: HaloNode, ifname: string) => ip(n.netns, 'link', 'set', ifname, 'down')
const hblink = (from: HaloNode, to: HaloNode, ifname: string) => from.cmd('cl_status', 'hblinkstatus', to.name, ifname)

t.test('two media: losing one changes nothing, losing both is a death', async (t) => {
  const [a, b] = await cluster(t, { hacf: 'bcast eth1' })
  await veth(a.netns, b.netns, 'eth1')
  await ip(a.netns, 'addr', 'add', '10.252.0.1/24', 'brd', '10.252.0.255', 'dev', 'eth1')
  await ip(b.netns, 'addr', 'add', '10.252.0.2/24', 'brd', '10.252.0.255', 'dev', 'eth1')
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  t.equal(await a.cmd('cl_status', 'listhblinks', 'nodeb'), 'eth0\n\teth1', 'both links listed')
  await until('both links up on both sides', async () => (await hblink(a, b, 'eth1')) === 'up' && (await hblink(b, a, 'eth0')) === 'up', 5000)

  await linkDown(a, 'eth1')
  await until('nodea sees nodeb:eth1 dead', async () => (await hblink(a, b, 'eth1')) === 'dead', 5000)
  await until('nodeb sees nodea:eth1 dead', async () => (await hblink(b, a, 'eth1')) === 'dead', 5000)
  t.equal(await hblink(a, b, 'eth0'), 'up', 'eth0 still carries the heartbeat')
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'active')
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'active')
  t.equal(await a.cmd('cl_status', 'rscstatus'), 'local')
  t.ok(runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 'no failover')
  t.equal(calls(b, 'start').length, 1, 'nodeb started nothing more')
  t.match(a.haLog(), /link nodeb:eth1 dead/)

  await linkDown(a, 'eth0')
  await until('each node takes the other one\'s groups', () => runsExactly(b, ['r1', 'r2', 'r3']) && runsExactly(a, ['r1', 'r2', 'r3']), 10_000)
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'dead')
})

/** A ping node: a namespace whose bridge (10.253.0.254) each cluster node reaches over its own eth1. */
async function pingNode(t: Scope, nodes: readonly HaloNode[]): Promise<string> {
  const p = await netns(t)
  await ip(p, 'link', 'add', 'br0', 'type', 'bridge')
  await ip(p, 'addr', 'add', '10.253.0.254/24', 'dev', 'br0')
  await ip(p, 'link', 'set', 'br0', 'up')
  for (const [i, n] of nodes.entries()) {
    const inner = uniqueName('hpi')
    const outer = uniqueName('hpo')
    await runOk(['ip', 'link', 'add', inner, 'netns', n.netns, 'type', 'veth', 'peer', 'name', outer, 'netns', p])
    await ip(n.netns, 'link', 'set', inner, 'name', 'eth1')
    await ip(n.netns, 'addr', 'add', `10.253.0.${i + 1}/24`, 'dev', 'eth1')
    await ip(n.netns, 'link', 'set', 'eth1', 'up')
    await ip(p, 'link', 'set', outer, 'master', 'br0', 'up')
  }
  return '10.253.0.254'
}

/** Two nodes at home, each reaching the ping node over its own eth1. */
async function pingCluster(t: Scope): Promise<[HaloNode, HaloNode]> {
  const [a, b] = await cluster(t, { hacf: 'ping 10.253.0.254' })
  await pingNode(t, [a, b])
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  return [a, b]
}

t.test('every medium cut, and nodea cut from the ping node: only nodeb holds the groups', async (t) => {
  const [a, b] = await pingCluster(t)
  await until('nodea reaches the ping node', async () => (await a.cmd('cl_status', 'nodestatus', '10.253.0.254')) === 'ping', 5000)
  t.equal(await a.cmd('cl_status', 'nodetype', '10.253.0.254'), 'ping')
  t.match(await a.cmd('cl_status', 'listnodes', '-p'), /^10\.253\.0\.254$/)

  await linkDown(a, 'eth0')
  await linkDown(a, 'eth1')
  await until('nodeb runs everything and nodea nothing', () => runsExactly(b, ['r1', 'r2', 'r3']) && runsExactly(a, []), 15_000)
  await settled(b, 'all')
  await settled(a, 'none')
  t.notOk(calls(a, 'start').includes('start r3'), 'nodea never started nodeb\'s group')
  t.match(a.haLog(), /cut off/)
  t.equal(await a.cmd('cl_status', 'nodestatus', '10.253.0.254'), 'dead')
})

t.test('both nodes up, nodea cut from the ping node: it hands everything to nodeb, as ipfail does', async (t) => {
  const [a, b] = await pingCluster(t)
  await until('both reach the ping node', async () => (await a.cmd('cl_status', 'nodestatus', '10.253.0.254')) === 'ping' && (await b.cmd('cl_status', 'nodestatus', '10.253.0.254')) === 'ping', 5000)

  await linkDown(a, 'eth1')
  await until('nodeb runs everything and nodea nothing', () => runsExactly(b, ['r1', 'r2', 'r3']) && runsExactly(a, []), 15_000)
  await settled(b, 'all')
  await settled(a, 'none')
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'active', 'no death: the heartbeat link is whole')
  t.match(a.haLog(), /reaches 0 ping node\(s\), nodeb reaches 1: giving it everything/)
  t.equal(calls(b, 'stop').length, 0, 'nodeb gave up nothing')
})
