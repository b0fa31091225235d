// Heartbeat packets count only from the heartbeat media. nodea's heartbeat link (eth0) stops carrying
// nodeb's packets: nodea declares nodeb dead and takes r3, while nodeb, alive, sends on. A third
// namespace, joined to nodea by a link that is no heartbeat medium (eth1), then sends nodea nodeb's newest
// status, genuine, signed and never received by nodea: once from its own address, once from nodeb's
// (forged). Either would end the death if it were believed; nodea must not act on it.
import t from 'tap'
import { runOk } from '../../lib/exec.ts'
import { until } from '../../lib/wait.ts'
import { GUARD_TABLE } from '../../ha.d/media-guard.ts'
import { capture } from '../harness/capture.ts'
import { atEnd } from '../harness/cleanup.ts'
import { cluster } from '../harness/cluster.ts'
import { netns, veth } from '../harness/netns.ts'
import { calls, runsExactly, settled } from '../harness/scenario.ts'
import { replay } from './forge.ts'

/** Packets the guard of halo (media-guard.ts) has refused in the namespace: its drop rules' counters. */
async function refused(ns: string): Promise<number> {
  const out = await runOk(['ip', 'netns', 'exec', ns, 'nft', 'list', 'table', 'inet', GUARD_TABLE]).catch(() => '')
  return [...out.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)
}

/** A third host on a new link to nodea's eth1, with a route to nodea's heartbeat address through it. */
async function stranger(t: Parameters<typeof netns>[0], a: { netns: string; address: string }): Promise<string> {
  const third = await netns(t)
  await veth(a.netns, third, 'eth1')
  await runOk(['ip', '-n', a.netns, 'addr', 'add', '10.253.0.1/24', 'dev', 'eth1'])
  await runOk(['ip', '-n', third, 'addr', 'add', '10.253.0.3/24', 'dev', 'eth1'])
  await runOk(['ip', '-n', third, 'route', 'add', `${a.address}/32`, 'via', '10.253.0.1', 'dev', 'eth1'])
  return third
}

t.test('a genuine status through a non-heartbeat interface changes nothing, forged source or not', async (t) => {
  const [a, b] = await cluster(t)
  const third = await stranger(t, a)
  // nodeb's address too, for the forged source
  await runOk(['ip', '-n', third, 'addr', 'add', `${b.address}/32`, 'dev', 'eth1'])
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  const cap = await capture(t, b.netns, 'eth0', ['udp', 'port', '694'])

  // nodea's eth0 no longer delivers nodeb's heartbeat; eth1 is untouched
  const cut = `table inet halocut {\n  chain in {\n    type filter hook input priority 0; policy accept;\n    iifname "eth0" udp dport 694 drop\n  }\n}\n`
  await runOk(['ip', 'netns', 'exec', a.netns, 'nft', '-f', '-'], { input: cut })
  atEnd(t, ['ip', 'netns', 'exec', a.netns, 'nft', 'delete', 'table', 'inet', 'halocut'])
  await settled(a, 'all')
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'dead', 'nodea declared nodeb dead')
  t.ok(runsExactly(b, ['r3']), 'nodeb, alive, still runs r3')

  const before = { log: a.haLog().length, stops: calls(a, 'stop').length, refused: await refused(a.netns) }
  const statuses = () => cap.datagrams().filter((p) => p.from.startsWith(`${b.address}:`) && p.payload.includes('t=status'))
  const seen = statuses().length
  await until('a new status of nodeb', () => statuses().length > seen, 5000)
  const status = statuses().at(-1)!.payload
  await replay(third, a.address, [status], '10.253.0.3')
  await replay(third, a.address, [status], b.address)
  await until('nodea to refuse both, or to act on one', async () => (await refused(a.netns)) >= before.refused + 2 || /came back|is up/.test(a.haLog().slice(before.log)), 10_000)

  t.equal(await refused(a.netns), before.refused + 2, 'the kernel refused both datagrams (they came through eth1)')
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'dead', 'nodeb is still dead to nodea')
  t.equal(await a.cmd('cl_status', 'hblinkstatus', 'nodeb', 'eth0'), 'dead', 'its link is still dead')
  t.equal(await a.cmd('cl_status', 'rscstatus'), 'all', 'nodea still holds every group')
  t.ok(runsExactly(a, ['r1', 'r2', 'r3']), 'r1 r2 r3 run on nodea')
  t.equal(calls(a, 'stop').length, before.stops, 'nothing was stopped')
  t.notMatch(a.haLog().slice(before.log), /nodeb|partition/, 'nothing about nodeb in the log')
})

t.test('without the kernel guard, the source check alone still refuses a stranger', async (t) => {
  // the guard's table gone (nftables missing, or flushed by a firewall script): a datagram from an address
  // of no medium reaches the engine, which counts it and drops it
  const [a, b] = await cluster(t)
  const third = await stranger(t, a)
  const cap = await capture(t, b.netns, 'eth0', ['udp', 'port', '694'])
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  await runOk(['ip', 'netns', 'exec', a.netns, 'nft', 'delete', 'table', 'inet', GUARD_TABLE])
  const { engineStatus } = await import('../harness/scenario.ts')
  const offMedia = async () => (await engineStatus(a)).drops?.offMedia ?? 0
  const before = await offMedia()
  const status = cap.datagrams().filter((p) => p.from.startsWith(`${b.address}:`) && p.payload.includes('t=status')).at(-1)!.payload
  await replay(third, a.address, [status], '10.253.0.3')
  await until('nodea to count the stray datagram', async () => (await offMedia()) > before, 5000)
  t.equal(await offMedia(), before + 1, 'dropped once, as from no medium')
  t.equal(await a.cmd('cl_status', 'hblinkstatus', 'nodeb', 'eth0'), 'up')
  t.equal(await a.cmd('cl_status', 'rscstatus'), 'local')
})
