// The example cluster end to end (demo/stack.ts, as `halo demo` runs it): real MariaDB on a loop disk,
// the application server, halo's engine on two virtual nodes fencing each other through their BMCs
// (ipmi_sim, the example's stonith_host lines filled in), halo-mon in the group, a client committing
// rows through the virtual IP from its own namespace. The watcher samples both nodes every 10 ms for the
// whole test: no resource may ever run on both. Needs `node build.ts halo halo-heartbeat halo-mon
// hb_standby cl_status IPaddr Filesystem mysql appserver` first, and the fencing packages (install.sh).
import t, { type Test } from 'tap'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ask, controlSocket } from '../../ha.d/control.ts'
import type { VirtualNode } from '../../demo/node.ts'
import { freeze, lostRows, powerCut, rejoin, serviceFailure, servedBy, startClient, type Client } from '../../demo/scenario.ts'
import { ClosableScope } from '../../demo/scope.ts'
import { buildStack, type Stack } from '../../demo/stack.ts'

const bin = fileURLToPath(new URL('../../dist/bin', import.meta.url))
if (!existsSync(`${bin}/halo`)) throw new Error('dist/bin/halo is missing: run node build.ts first')

/** ha-down.alert in mon.cf: these tests are of the failover on a service failure (test/e2e/recover.test.ts: the restart in place) */
async function cluster(t: Test): Promise<{ stack: Stack; client: Client }> {
  // closed when the test ends, or when its process exits first
  const scope = new ClosableScope()
  t.teardown(() => scope.close())
  const stack = await buildStack({ bin, scope, alert: 'ha-down' })
  t.teardown(() => {
    if (!t.passing()) for (const n of stack.nodes) t.comment(`${n.name}'s ha-log:\n${existsSync(stack.haLog(n)) ? readFileSync(stack.haLog(n), 'utf8') : ''}`)
  })
  const client = startClient(stack, bin, scope)
  await client.commitAfter(0n)
  return { stack, client }
}

/** the node's power switches since `sinceNs` (host time) */
const switchesSince = (node: VirtualNode, sinceNs: bigint) => node.powerLog().filter((e) => e.ns >= sinceNs).map((e) => e.event)
const hostNowNs = () => BigInt(Date.now()) * 1_000_000n

/** the fences the node's engine made, from its control socket */
async function fences(node: VirtualNode) {
  const answer = await ask({ op: 'status' }, node.path(controlSocket({})))
  if (!answer?.ok || !answer.status) throw new Error(`${node.name}: no status from the engine`)
  return answer.status.fencing?.history ?? []
}

async function noneLost(t: Test, stack: Stack, client: Client, when: string): Promise<void> {
  const acked = client.acked.size
  t.same(await lostRows(stack, bin, client), [], `${when}: all ${acked} committed rows are in the table`)
}

t.test('power cut, rejoin, service failure, frozen node fenced: nothing committed is lost, never two nodes at once', async (t) => {
  const { stack, client } = await cluster(t)
  const [node1, node2] = stack.nodes
  t.ok(stack.bmcs, 'the stack fences: each node has a BMC (needs ipmi_sim, ipmitool and stonith: install.sh)')
  const hacf = join(node1.dir, 'etc/ha.d/ha.cf')
  t.match(readFileSync(hacf, 'utf8'), new RegExp(`^stonith_host node2 external/ipmi node1 ${stack.bmcs?.get('node1')?.address} admin \\S+ lan$`, 'm'), "ha.cf's stonith_host line for node1's BMC is filled in")
  t.equal(statSync(hacf).mode & 0o777, 0o600, 'ha.cf, which now holds the BMC passwords, is mode 600')
  t.equal(await servedBy(stack, bin), 'node1', 'node1 serves the virtual IP at first')
  await client.commitAfter(process.hrtime.bigint() + 500_000_000n)

  const cutAt = hostNowNs()
  const cut = await powerCut(stack, client)
  t.same([cut.from, cut.to], ['node1', 'node2'])
  t.equal(await servedBy(stack, bin), 'node2', 'the virtual IP answers from node2')
  t.match(readFileSync(stack.haLog(node2), 'utf8'), /node1 is powered off, as external\/ipmi \(.*ha\.cf:\d+\) says/, "node2 asked node1's BMC, which said the power is off")
  t.same(switchesSince(node1, cutAt), ['off'], 'node1 was left off (a reset would have powered it on)')
  await noneLost(t, stack, client, 'after the power cut')

  await rejoin(stack, stack.nodes[0])
  t.equal(stack.watcher.runs('node1').size, 0, 'node1 is back and runs nothing')
  t.equal(await stack.cmd(stack.nodes[0], 'cl_status', 'rscstatus'), 'none', 'node1 is the standby')
  t.equal(await stack.cmd(stack.nodes[1], 'cl_status', 'nodestatus', 'node1'), 'active', 'node2 sees node1 active')

  const failure = await serviceFailure(stack, client, 'appserver')
  t.same([failure.from, failure.to], ['node2', 'node1'], "the application server's port closed on node2: mon hands the group to node1")
  t.equal(await servedBy(stack, bin), 'node1', 'the virtual IP answers from node1')
  await noneLost(t, stack, client, 'after the service failover')
  t.match(readFileSync(stack.haLog(stack.nodes[1]), 'utf8'), /going standby \[all\]/, 'node2 went standby on the alert')

  const frozenAt = hostNowNs()
  const frozen = await freeze(stack, client)
  t.same([frozen.from, frozen.to], ['node1', 'node2'], 'node1 frozen: node2 takes the group')
  t.same(switchesSince(node1, frozenAt), ['off', 'on'], "node1 was reset: powered off, then on (Heartbeat's action)")
  t.match((await fences(node2)).at(-1), { target: 'node1', device: 'external/ipmi', action: 'reset', ok: true }, "node2 fenced node1 through node1's BMC, which confirmed")
  const off = stack.watcher.find(frozen.at, 'node1', 'power off')
  const vipUp = stack.watcher.find(frozen.at, 'node2', 'vip up')
  t.ok(off && vipUp && off.at < vipUp.at, 'node1 was powered off before node2 raised the virtual IP')
  t.equal(await servedBy(stack, bin), 'node2', 'the virtual IP answers from node2')
  await noneLost(t, stack, client, 'after the frozen node was fenced')
  await rejoin(stack, node1)
  t.equal(await stack.cmd(node1, 'cl_status', 'rscstatus'), 'none', 'node1, reset by its BMC, came back as the standby')

  stack.watcher.stop()
  t.same(stack.watcher.violations, [], 'no resource ran on both nodes in any sample')
  t.ok(stack.watcher.events.length > 20, `the watcher saw the moves (${stack.watcher.events.length} events)`)
})

t.test("MariaDB's port closed on the active node → mon alert (halo-mon, ha-down.alert) → hb_standby all → the group runs on the peer", async (t) => {
  const { stack, client } = await cluster(t)
  const failure = await serviceFailure(stack, client, 'mysql')
  t.same([failure.from, failure.to], ['node1', 'node2'])
  t.equal(await servedBy(stack, bin), 'node2', 'MariaDB answers on the virtual IP from node2')
  t.match(readFileSync(stack.haLog(stack.nodes[0]), 'utf8'), /going standby \[all\]/, 'node1 went standby: the alert ran hb_standby all')
  await noneLost(t, stack, client, 'after MariaDB was killed and recovered on node2')
  stack.watcher.stop()
  t.same(stack.watcher.violations, [], 'no resource ran on both nodes in any sample')
})
