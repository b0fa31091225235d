// The example cluster past two nodes: examples/mysql-appserver-cluster with a shared loop device in place of
// DRBD (the haresources in pacemaker-example/), converted by `halo convert --to cib --nodes node1,node2,node3`
// and run by the real Corosync and Pacemaker on three virtual nodes, fenced through their BMCs, with real
// MariaDB and the demo's application server, and the demo's client committing rows through the virtual IP.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { lostRows, now, startClient } from '../../demo/scenario.ts'
import { nowNs } from '../harness/fencing.ts'
import { type ClusterStatus, exampleOnPacemaker } from '../harness/pacemaker.ts'

const bin = fileURLToPath(new URL('../../dist/bin', import.meta.url))
const haresources = fileURLToPath(new URL('pacemaker-example/haresources', import.meta.url))

t.test('the converted example on Pacemaker: preferred node, power cut, rejoin, a failed resource restarted in place, a move', async (t) => {
  const lab = await exampleOnPacemaker(t, { bin, haresources, say: (s) => t.comment(s) })
  const { cluster } = lab
  const first = await cluster.until('the group on node1', (s) => lab.holder(s) === 'node1')
  t.same(first.resources.filter((r) => r.group === lab.group).map((r) => r.agent), ['ocf:halo:Filesystem', 'ocf:halo:IPaddr', 'ocf:halo:mysql', 'ocf:halo:appserver'], 'the converted group, in haresources order')
  t.equal(lab.holder(first), 'node1', 'the group starts on its preferred node')

  const client = startClient(cluster, bin, t)
  await client.commitAfter(0n, 60_000)

  // power cut of node1: fenced through its BMC, the group on node2 or node3, the client served again
  const node1 = cluster.node('node1')
  const cutNs = nowNs()
  await node1.vm.powerCut()
  const cutAt = now()
  const moved = await lab.settled(['node2', 'node3'])
  const to = lab.holder(moved)!
  t.ok(['node2', 'node3'].includes(to), `the group runs on ${to}`)
  await client.commitAfter(cutAt, 60_000)
  const fenced = await cluster.until('a fence of node1 in the history', (s) => s.fencing.some((f) => f.target === 'node1' && f.status !== 'pending'))
  t.same(fenced.fencing.filter((f) => f.target === 'node1').map((f) => [f.action, f.status]), [['reboot', 'success']], 'node1 fenced once, by a reboot')
  t.same(node1.vm.powerLog().filter((e) => e.ns >= cutNs).map((e) => e.event), ['off', 'on'], "the cut, then the BMC's power-on")

  // node1 returns: it rejoins (its ping instance runs), and the group stays where it is (the example's
  // auto_failback off: stickiness)
  const pingOn = (s: ClusterStatus, node: string) => s.resources.some((r) => r.id === 'ping' && r.role === 'Started' && r.on.includes(node))
  const rejoined = await cluster.until('node1 online again, running its ping instance', (s) => s.nodes.find((n) => n.name === 'node1')?.online === true && pingOn(s, 'node1'), 120_000)
  t.ok(rejoined.quorate, 'quorate with node1 back')
  t.equal(lab.holder(await lab.settled()), to, `the group stays on ${to}`)

  // the application server killed: Pacemaker's monitor finds it; halo convert carried mon's halo-recover.alert
  // and recovery.cf over (migration-threshold 4, failure-timeout 600s), so Pacemaker restarts it in place
  // a failure seen while the DC runs node1's join transition gets no fail-count (Pacemaker 2.1.5): wait for it
  await cluster.idle()
  const failing = cluster.node(to)
  const pid = (await failing.exec(['cat', '/run/linkserv.pid'])).trim()
  await failing.exec(['kill', '-KILL', pid])
  const recovered = await cluster.until(`appserver failed on ${to} and running again`, (s) => (s.failCounts.appserver?.[to] ?? 0) > 0 && s.resources.some((r) => r.id === 'appserver' && r.role === 'Started'), 120_000)
  t.same(recovered.failCounts.appserver, { [to]: 1 }, `fail-count 1 on ${to}`)
  await cluster.idle()
  t.equal(lab.holder(await lab.settled()), to, `restarted in place: the group stays on ${to}`)
  t.not((await failing.exec(['cat', '/run/linkserv.pid'])).trim(), pid, 'a new application server')
  const next = to

  // crm_resource --move to the third node, then --clear: the move's constraint goes, the group stays (stickiness)
  const third = ['node1', 'node2', 'node3'].find((n) => n !== to)!
  const admin = cluster.node(next)
  await admin.exec(['crm_resource', '--move', '--resource', lab.group, '--node', third])
  t.equal(lab.holder(await lab.settled([third])), third, `moved to ${third}`)
  const constraints = () => admin.exec(['cibadmin', '--query', '--scope', 'constraints'])
  t.match(await constraints(), `cli-prefer-${lab.group}`, 'the move is a cli-prefer constraint')
  await admin.exec(['crm_resource', '--clear', '--resource', lab.group])
  t.notMatch(await constraints(), 'cli-prefer-', 'cleared')
  t.equal(lab.holder(await lab.settled()), third, `the group stays on ${third} once cleared`)

  await client.commitAfter(now(), 60_000)
  client.stop()
  t.same(await lostRows(cluster, bin, client), [], `no committed row lost (${client.acked.size} committed)`)
})
