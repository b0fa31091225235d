// The lab's Corosync + Pacemaker cluster: three virtual nodes running the real corosync and pacemakerd form
// a quorate cluster; a resource (ocf:pacemaker:Dummy, preferred on node1) starts there; node1's power
// cut gets it fenced through its BMC (fence_ipmilan's reboot: the node boots again) while the resource
// runs on another node; node1 rejoins and takes the resource back.
import t from 'tap'
import { nowNs } from '../harness/fencing.ts'
import { pacemakerCluster, runsOn, withLabFencing } from '../harness/pacemaker.ts'

/** the test's own small CIB: a Dummy resource preferring node1, monitored every 2 s */
const CIB = `<cib validate-with="pacemaker-3.9" admin_epoch="1" epoch="1" num_updates="0">
  <configuration>
    <crm_config/>
    <nodes/>
    <resources>
      <primitive id="dummy" class="ocf" provider="pacemaker" type="Dummy">
        <operations><op id="dummy-monitor" name="monitor" interval="2s" timeout="20s"/></operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="dummy-prefers-node1" rsc="dummy" node="node1" score="100"/>
    </constraints>
  </configuration>
  <status/>
</cib>`

t.test('three nodes form a quorate cluster; a power cut is fenced through the BMC and the resource moves', async (t) => {
  const c = await pacemakerCluster(t)
  const formed = await c.formed()
  t.same(formed.nodes.map((n) => [n.name, n.online]), [['node1', true], ['node2', true], ['node3', true]], 'every node online')
  t.ok(formed.quorate, 'quorate')

  await c.pushCib(await withLabFencing(CIB, c.nodes))
  const started = await c.until('dummy on node1 and every fence device started', (s) => runsOn(s, 'dummy') === 'node1' && c.nodes.every((n) => runsOn(s, `fence-${n.name}`) !== undefined))
  t.equal(runsOn(started, 'dummy'), 'node1', 'the resource starts on its preferred node')
  for (const n of c.nodes) t.not(runsOn(started, `fence-${n.name}`), n.name, `${n.name}'s fence device runs elsewhere`)

  const [node1] = c.nodes
  const cut = nowNs()
  await node1.vm.powerCut()
  const moved = await c.until('dummy on another node', (s) => ['node2', 'node3'].includes(runsOn(s, 'dummy') ?? ''), 120_000)
  t.ok(['node2', 'node3'].includes(runsOn(moved, 'dummy')!), `the resource runs on ${runsOn(moved, 'dummy')}`)
  const fenced = await c.until('a fence of node1 in the history', (s) => s.fencing.some((f) => f.target === 'node1' && f.status !== 'pending'))
  const fence = fenced.fencing.find((f) => f.target === 'node1')!
  t.equal(fence.status, 'success', 'node1 fenced')
  t.equal(fence.action, 'reboot', 'fenced with a reboot')
  t.ok(fence.delegate === 'node2' || fence.delegate === 'node3', `by a surviving node (${fence.delegate})`)
  t.same(node1.vm.powerLog().filter((e) => e.ns >= cut).map((e) => e.event), ['off', 'on'], "the cut, then the BMC's power-on")

  const back = await c.until('node1 online again and dummy back on it', (s) => s.nodes.find((n) => n.name === 'node1')?.online === true && runsOn(s, 'dummy') === 'node1', 120_000)
  t.ok(back.quorate, 'still quorate')
  t.equal(runsOn(back, 'dummy'), 'node1', 'node1 rejoined and runs its preferred resource again')
})
