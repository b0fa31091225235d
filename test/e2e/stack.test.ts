// The example cluster end to end (demo/stack.ts, as `halo demo` runs it): real MariaDB on a loop disk,
// the application server, halo's engine on two virtual nodes, halo-mon in the group, a client committing
// rows through the virtual IP from its own namespace. The watcher samples both nodes every 10 ms for the
// whole test: no resource may ever run on both. Needs `node build.ts halo halo-heartbeat halo-mon
// hb_standby cl_status IPaddr Filesystem mysql appserver` first.
import t, { type Test } from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { lostRows, powerCut, rejoin, serviceFailure, servedBy, startClient, type Client } from '../../demo/scenario.ts'
import { Scope } from '../../demo/scope.ts'
import { buildStack, type Stack } from '../../demo/stack.ts'

const bin = fileURLToPath(new URL('../../dist/bin', import.meta.url))
if (!existsSync(`${bin}/halo`)) throw new Error('dist/bin/halo is missing: run node build.ts first')

async function cluster(t: Test): Promise<{ stack: Stack; client: Client }> {
  const scope = new Scope()
  process.on('exit', () => scope.close())
  t.teardown(() => scope.close())
  const stack = await buildStack({ bin, scope })
  t.teardown(() => {
    if (!t.passing()) for (const n of stack.nodes) t.comment(`${n.name}'s ha-log:\n${existsSync(stack.haLog(n)) ? readFileSync(stack.haLog(n), 'utf8') : ''}`)
  })
  const client = startClient(stack, bin, scope)
  await client.commitAfter(0n)
  return { stack, client }
}

async function noneLost(t: Test, stack: Stack, client: Client, when: string): Promise<void> {
  const acked = client.acked.size
  t.same(await lostRows(stack, bin, client), [], `${when}: all ${acked} committed rows are in the table`)
}

t.test('power cut, rejoin, service failure: nothing committed is lost, never two nodes at once', async (t) => {
  const { stack, client } = await cluster(t)
  t.equal(await servedBy(stack, bin), 'node1', 'node1 serves the virtual IP at first')
  await client.commitAfter(process.hrtime.bigint() + 500_000_000n)

  const cut = await powerCut(stack, client)
  t.same([cut.from, cut.to], ['node1', 'node2'])
  t.equal(await servedBy(stack, bin), 'node2', 'the virtual IP answers from node2')
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
