// halo status run inside a virtual node of a two-node halo cluster, in each state it reports: both up,
// a failed resource, standby, the engine down, the peer dead. The JSON is checked against its schema.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { bin, cluster, type HaloNode } from '../../harness/cluster.ts'
import { fenceWith } from '../../harness/fencing.ts'
import { atHome, placed, powerCut, settled } from '../../harness/scenario.ts'
import type { StatusReport } from '../../../ops/status/collect.ts'
import { violations } from './schema.ts'

const schema = JSON.parse(readFileSync(new URL('../../../ops/status/status.schema.json', import.meta.url), 'utf8'))

/** `halo status --output-as=json` on the node: the report (checked against the schema) and the exit code. */
async function status(t: Test, n: HaloNode): Promise<{ code: number | null; r: StatusReport }> {
  const res = await n.vm.exec([bin('halo'), 'status', '--output-as=json'], { timeout: 30_000 })
  const r = JSON.parse(res.stdout) as StatusReport
  t.same(violations(schema, r), [], `${n.name}: the JSON follows status.schema.json`)
  return { code: res.code, r }
}

const held = (r: StatusReport) => r.groups.map((g) => `${g.resources.map((x) => `${x.name}=${x.state}`).join(' ')} @${g.heldBy}`)

t.test('both up, a failed resource, standby, the engine down', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)

  let { code, r } = await status(t, a)
  t.equal(code, 0, 'all good: exit 0')
  t.equal(r.health, 'ok')
  t.same(r.problems, [])
  t.same(r.engine.resources, 'local')
  t.same(r.nodes.map((n) => [n.name, n.self, n.status, n.links]), [
    ['nodea', true, 'active', [{ iface: 'eth0', status: 'up' }]],
    ['nodeb', false, 'active', [{ iface: 'eth0', status: 'up' }]],
  ])
  for (const n of r.nodes) {
    t.ok(n.generation! > 0, `${n.name} has a generation`)
    t.ok(Date.parse(n.since!) <= Date.parse(r.time), `${n.name} up since before now`)
  }
  t.same(held(r), ['hbtest::r1=running hbtest::r2=running @nodea', 'hbtest::r3=stopped @nodeb'])
  t.same(r.fencing, { configured: false, devices: [] })
  t.equal(r.lastFailover, null, 'no failover yet')
  t.equal(r.mon.running, false)

  const text = await a.vm.exec([bin('halo'), 'status'])
  t.equal(text.code, 0)
  t.match(text.stdout, /^Cluster status on nodea at .* \(halo-heartbeat 3\.0\.6 \(halo 0\.1\.0\), pid \d+\)\nHealth: OK\n/)
  t.match(text.stdout, /\* nodeb: active, generation \d+, up since \S+ \S+; links: eth0 up\n/)
  t.match(text.stdout, /\* hbtest::r1 \(preferred nodea\): held by nodea\n {6}hbtest::r1 {2}running on nodea\n {6}hbtest::r2 {2}running on nodea\n/)
  const xml = await a.vm.exec([bin('halo'), 'status', '--output-as=xml'])
  t.match(xml.stdout, /<group owner="nodeb" held-by="nodeb">\n {6}<resource name="hbtest::r3" state="stopped"\/>/)

  // r2 dies under nodea: Heartbeat v1 does not notice (that is halo-mon's job), halo status does
  await a.vm.exec(['rm', '/run/hbtest/r2.running'])
  ;({ code, r } = await status(t, a))
  t.equal(code, 2, 'a resource of a held group is stopped: down')
  t.same(held(r)[0], 'hbtest::r1=running hbtest::r2=stopped @nodea')
  t.same(r.problems, ['group hbtest::r1: hbtest::r2 is stopped on nodea'])
  await a.vm.exec(['touch', '/run/hbtest/r2.running'])

  await a.cmd('hb_standby', 'all')
  await placed(a, b, [])
  await settled(a, 'none')
  await settled(b, 'all')
  ;({ code, r } = await status(t, a))
  t.equal(code, 0, 'standby: all good')
  t.same(held(r), ['hbtest::r1=stopped hbtest::r2=stopped @nodeb', 'hbtest::r3=stopped @nodeb'])

  await a.stop()
  ;({ code, r } = await status(t, a))
  t.equal(code, 2, 'the engine down: exit 2')
  t.equal(r.engine.running, false)
  t.match(r.engine.error, /the heartbeat engine is not running/)
  t.same(r.nodes.map((n) => [n.name, n.status]), [['nodea', 'stopped'], ['nodeb', 'unknown']], 'the nodes from ha.cf')
  t.same(held(r), ['hbtest::r1=stopped hbtest::r2=stopped @null', 'hbtest::r3=stopped @null'], 'the resources still asked')
  const down = await a.vm.exec([bin('halo'), 'status'])
  t.match(down.stdout, /ENGINE DOWN: the heartbeat engine is not running/)
  t.match(down.stdout, /Health: DOWN/)

  ;({ code, r } = await status(t, b))
  t.equal(code, 1, 'seen from nodeb: degraded')
  t.same(r.problems, ['node nodea is dead'])
})

t.test('the peer dead and fenced: degraded, its groups held by the survivor, the fence shown', async (t) => {
  const [a, b] = await cluster(t, { bmc: true })
  fenceWith([a, b], 'external/ipmi')
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  // nodeb lets nodea (first in ha.cf) fence first, asks its BMC and finds it off: nodea stays off
  await powerCut(a)
  await placed(a, b, [])
  await settled(b, 'all')
  const { code, r } = await status(t, b)
  t.equal(code, 1)
  t.equal(r.health, 'degraded')
  t.same(r.nodes.map((n) => [n.name, n.status, n.links.map((l) => l.status)]), [['nodea', 'dead', ['dead']], ['nodeb', 'active', ['up']]])
  t.equal(r.nodes[0].since, undefined, 'a dead node is up since nothing')
  t.same(held(r), ['hbtest::r1=running hbtest::r2=running @nodeb', 'hbtest::r3=running @nodeb'])
  t.same(r.problems, ['node nodea is dead'])
  t.equal(r.fencing.configured, true)
  t.same(r.fencing.devices.map((d) => [d.type, d.targets]), [['external/ipmi', ['nodea']]])
  t.match(r.fencing.lastFence, { target: 'nodea', device: 'external/ipmi', ok: true })
  t.match(r.lastFailover, { why: /nodea/ }, "the takeover, from nodeb's event history")
  t.ok(r.lastFailover!.ms > 0, `it took ${r.lastFailover!.ms} ms`)
  const text = await b.vm.exec([bin('halo'), 'status'])
  t.equal(text.code, 1)
  t.match(text.stdout, /\nFencing: external\/ipmi .* for nodea\n {2}last fence: nodea by external\/ipmi \(\w+\) at \S+: confirmed in \d+ ms\n/)
  t.match(text.stdout, /\nLast failover: \S+: .*nodea.*, \d+ ms\n/)
  t.match(text.stdout, /\nProblems:\n {2}\* node nodea is dead\n$/)
})
