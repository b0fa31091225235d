// A corpus of v1 configurations (test/ops/convert/fixtures: ha.cf, haresources, authkeys, fence.cf, mon.cf, DRBD): each line of what they hold either in the
// converted cluster, checked in the CIB read back, or in not-converted with its file:line.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from '../../../lib/exec.ts'
import { convert, type ConvertOptions } from '../../../ops/convert/convert.ts'
import { convertedFiles } from '../../../ops/convert/command.ts'
import { agentsDir, fixtureRoot, pairsOf, readCib, verifyCib, type Xml } from './helpers.ts'

const roots: string[] = []
t.teardown(() => Promise.all(roots.map((r) => run(['rm', '-rf', r]))))
function options(fixture: string, more: Partial<ConvertOptions> = {}): ConvertOptions {
  const root = fixtureRoot(fixture)
  roots.push(root)
  return { confDir: join(root, 'ha.d'), to: 'cib', root, agentsDir, ...more }
}
const byId = (list: Xml[] | undefined, id: string) => (list ?? []).find((x: Xml) => x.$.id === id)
const reasons = (c: { notConverted: { file: string; line: number; reason: string }[] }, root: string) =>
  c.notConverted.map((n) => `${n.file.slice(root.length + 1)}:${n.line}: ${n.reason}`)

t.test('two groups on two nodes: v1 arguments, an init script, DRBD not first, IPaddr2, fencing, every medium', async (t) => {
  const o = options('two-groups')
  const c = await convert(o)
  const conf = (await readCib(c.resources.text)).cib.configuration[0]
  const [alphaGroup, betaGroup] = conf.resources[0].group
  const types = (g: Xml) => g.primitive.map((p: Xml) => [p.$.class, p.$.provider, p.$.type].filter(Boolean).join(':'))
  t.same(types(alphaGroup), ['ocf:halo:IPaddr', 'ocf:halo:Filesystem', 'lsb:httpd'], 'a bare address is IPaddr; /etc/init.d/httpd runs as lsb:httpd')
  t.same(pairsOf(alphaGroup.primitive[0], 'instance_attributes'), { ip: '10.0.0.5' }, 'what the line leaves out stays unset: the agent finds it')
  t.same(pairsOf(alphaGroup.primitive[1], 'instance_attributes'), { device: '/dev/sdb1', directory: '/srv/a', fstype: 'ext4', options: 'noatime' })
  t.same(types(betaGroup), ['ocf:halo:IPaddr', 'ocf:halo:IPaddr', 'ocf:halo:appserver'], 'IPaddr2 (resource.d link) is halo\'s IPaddr; legacyscript is left out')
  t.same(pairsOf(betaGroup.primitive[0], 'instance_attributes'), { ip: '10.0.0.6', cidr_netmask: '24', nic: 'eth0:web', broadcast: '10.0.0.255' })
  t.same(pairsOf(betaGroup.primitive[1], 'instance_attributes'), { ip: '10.0.0.7' })
  t.same(pairsOf(betaGroup.primitive[2], 'instance_attributes'), { init_script: '/etc/init.d/app', pid: '/run/app.pid', ports: '6460' })
  t.match(betaGroup.primitive[2].operations[0].op.filter((x: Xml) => x.$.name === 'monitor').map((x: Xml) => x.$), [{ interval: '5s', timeout: '30s' }], "mon's check of port 6460 on the group's address: the appserver's monitor, at mon's interval")
  t.same(pairsOf(betaGroup.primitive[2], 'meta_attributes'), {}, 'its alert was a mail, not ha-down.alert: Pacemaker may restart it in place')

  const clones = conf.resources[0].clone
  const drbd = clones.find((k: Xml) => k.primitive[0].$.type === 'drbd')
  t.same(pairsOf(drbd.primitive[0], 'instance_attributes'), { drbd_resource: 'r1' })
  const constraints = conf.constraints[0]
  t.match(constraints.rsc_colocation.map((x: Xml) => x.$), [{ rsc: betaGroup.$.id, 'with-rsc': drbd.$.id, 'with-rsc-role': 'Promoted' }], 'the group that held drbddisk follows the Primary')
  t.match(constraints.rsc_order.map((x: Xml) => x.$), [{ first: drbd.$.id, 'first-action': 'promote', then: betaGroup.$.id }])
  const located = constraints.rsc_location.filter((x: Xml) => x.$.node).map((x: Xml) => `${x.$.rsc} ${x.$.node} ${x.$.score}`)
  t.ok(located.includes(`${alphaGroup.$.id} alpha 100`) && located.includes(`${betaGroup.$.id} beta 100`), 'each group on its preferred node')
  t.same(pairsOf(conf.rsc_defaults[0], 'meta_attributes'), { 'resource-stickiness': '0' }, 'auto_failback on: groups go back')

  const fences = conf.resources[0].primitive
  t.same(fences.map((p: Xml) => `${p.$.class}:${p.$.type} ${p.$.id}`), ['stonith:fence_ipmilan fence-beta', 'stonith:fence_ipmilan fence-alpha'])
  t.same(pairsOf(byId(fences, 'fence-beta'), 'instance_attributes'), { ip: '10.0.9.2', username: 'admin', password: 'lrm://', lanplus: '1', pcmk_host_list: 'beta' })
  t.same(pairsOf(byId(fences, 'fence-alpha'), 'instance_attributes'), { ip: '10.0.9.1', username: 'admin', password: 'lrm://', pcmk_host_list: 'alpha' }, 'interface lan: no lanplus')
  t.ok(located.includes('fence-beta beta -INFINITY') && located.includes('fence-alpha alpha -INFINITY'), 'a device never runs on the node it fences')
  const props = Object.fromEntries(conf.crm_config[0].cluster_property_set[0].nvpair.map((p: Xml) => [p.$.name, p.$.value]))
  t.equal(props['stonith-enabled'], 'true')
  const ping = clones.find((k: Xml) => k.primitive[0].$.type === 'ping')
  t.equal(pairsOf(ping.primitive[0], 'instance_attributes').host_list, '10.0.0.254 10.0.0.253', 'ping_group: its hosts')
  t.equal(pairsOf(ping.primitive[0], 'instance_attributes').dampen, '10s', "deadping (deadtime's 10 s)")
  for (const [name, text] of convertedFiles(c)) t.notMatch(text, /SECRET-OF/, `${name}: no password, no key`)

  t.same(reasons(c, o.root).map((r) => r.split(': ')[0]), [
    'ha.d/ha.cf:5', 'ha.d/ha.cf:6', 'ha.d/ha.cf:7', 'ha.d/ha.cf:8', 'ha.d/ha.cf:12', 'ha.d/ha.cf:13', 'ha.d/ha.cf:14',
    'ha.d/authkeys:2', 'ha.d/haresources:4', 'ha.d/haresources:4', 'ha.d/haresources:7', 'ha.d/haresources:7',
    'etc/mon/mon.cf:10', 'etc/mon/mon.cf:12', 'etc/mon/mon.cf:17',
  ], reasons(c, o.root).join('\n'))
  const said = reasons(c, o.root).join('\n')
  t.match(said, /ha\.cf:6: mcast eth1: .*the group 239\.0\.0\.1 is not used/)
  t.match(said, /ha\.cf:7: serial \/dev\/ttyS0: Corosync has no serial link/)
  t.match(said, /ha\.cf:8: ping_group uplink: /)
  t.match(said, /ha\.cf:12: fence-beta: its password is not written here .*cibsecret set fence-beta password/)
  t.match(said, /ha\.cf:14: stonith baytech: no fence-agents equivalent/)
  t.match(said, /authkeys:2: md5: carried over as crypto_hash md5.*md5 is weak/)
  t.match(said, /haresources:4: drbddisk::r1: not the group's first resource/)
  t.match(said, /haresources:4: legacyscript::x: .*is a Heartbeat v1 script, not one of halo's agents/)
  t.match(said, /haresources:7: nosuch::1: unknown resource/)
  t.match(said, /mon\.cf:10: service appport: alert mail\.alert: Pacemaker runs alert agents/)
  t.match(said, /mon\.cf:12: service web: monitor http\.monitor: no resource of group-IPaddr-10\.0\.0\.6 checks this/)
  t.match(said, /mon\.cf:17: watch routers: its hosts \(10\.0\.0\.254\) are no virtual IP of the groups/)

  t.match(c.corosync, /token: 10000\n\s+token_retransmits_before_loss_const: 10\n\s+consensus: 12000\n/)
  t.match(c.corosync, /crypto_hash: md5/)
  t.match(c.corosync, /ring0_addr: ADDRESS-OF-alpha-ON-eth0\n\s+ring1_addr: ADDRESS-OF-alpha-ON-eth1\n/, 'bcast and mcast give no addresses')
  t.same(await verifyCib(c.resources.text, o.root), { code: 0, said: '' }, 'crm_verify: no error, no warning')
})

t.test('--nodes: a third node; DRBD\'s clone kept to the nodes its resource file names', async (t) => {
  const o = options('two-groups')
  const c = await convert({ ...o, nodes: ['alpha', 'beta', 'epsilon'], drbdConf: join(o.root, 'etc/drbd.d') })
  const conf = (await readCib(c.resources.text)).cib.configuration[0]
  t.same(conf.nodes[0].node.map((n: Xml) => n.$.uname), ['alpha', 'beta', 'epsilon'])
  const drbd = conf.resources[0].clone.find((k: Xml) => k.primitive[0].$.type === 'drbd')
  t.equal(pairsOf(drbd, 'meta_attributes')['clone-max'], '2')
  t.ok(conf.constraints[0].rsc_location.some((x: Xml) => x.$.rsc === drbd.$.id && x.$.node === 'epsilon' && x.$.score === '-INFINITY'), 'not on epsilon: r1.res has no `on epsilon`')
  t.notMatch(c.corosync, /two_node/, 'three nodes: quorum by majority')
  t.match(c.corosync, /name: epsilon\n\s+nodeid: 3\n\s+ring0_addr: ADDRESS-OF-epsilon-ON-eth0/)
  t.match(c.corosync, /with 3 nodes Corosync waits token \+ 1 x token_coefficient \(650 ms\): 10650 ms/)
  t.match(reasons(c, o.root).join('\n'), /ha\.cf:5: bcast eth0: .*DRBD's resource files give alpha 10\.1\.0\.1, beta 10\.1\.0\.2/)
  t.same(await verifyCib(c.resources.text, o.root), { code: 0, said: '' })
})

t.test('one link naming only the peer, crc, legacy failback, fence.cf devices, a plain ping node', async (t) => {
  const o = options('one-link')
  const c = await convert(o)
  const conf = (await readCib(c.resources.text)).cib.configuration[0]
  const [group] = conf.resources[0].group
  t.same(group.primitive.map((p: Xml) => p.$.type), ['IPaddr', 'mysql'], 'mysqld is the mysql agent (its v1 name)')
  t.same(pairsOf(group.primitive[1], 'instance_attributes'), {}, 'mysqld without arguments: the agent\'s defaults')
  const fences = conf.resources[0].primitive
  t.same(pairsOf(byId(fences, 'fence-gamma'), 'instance_attributes'), { ip: '10.0.9.1', username: 'admin', password: 'lrm://', lanplus: '1', pcmk_host_list: 'gamma' })
  t.same(pairsOf(byId(fences, 'fence-delta'), 'instance_attributes'), { ip: '10.0.9.2', username: 'admin', password: 'lrm://', lanplus: '1', pcmk_reboot_action: 'off', pcmk_host_list: 'delta' }, 'action=off kept; frobnicate left out')
  t.same(pairsOf(conf.rsc_defaults[0], 'meta_attributes'), { 'resource-stickiness': '0' }, 'legacy: as on')
  t.match(c.corosync, /crypto_hash: none/)
  t.match(c.corosync, /ring0_addr: ADDRESS-OF-gamma-ON-eth1\n/, 'one ucast address for two nodes: whose it is is not known')
  const said = reasons(c, o.root)
  t.same(said.map((r) => r.split(': ')[0]), ['ha.d/ha.cf:0', 'ha.d/ha.cf:5', 'ha.d/authkeys:2', 'ha.d/fence.cf:1', 'ha.d/fence.cf:2', 'ha.d/fence.cf:2'], said.join('\n'))
  t.match(said.join('\n'), /ha\.cf:0: auto_failback legacy: carried over as on/)
  t.match(said.join('\n'), /ha\.cf:5: ucast eth1: 1 address\(es\) for 2 nodes/)
  t.match(said.join('\n'), /authkeys:2: crc: Heartbeat signed nothing/)
  t.match(said.join('\n'), /fence\.cf:2: fence_ipmilan has no parameter frobnicate/)
  for (const [name, text] of convertedFiles(c)) t.notMatch(text, /SECRET-OF/, `${name}: no password`)
  t.same(await verifyCib(c.resources.text, o.root), { code: 0, said: '' })
})

t.test('bad input: a clear error naming file:line or the option, and nothing converted', async (t) => {
  const o = options('one-link')
  await t.rejects(convert({ ...o, nodes: ['delta', 'omega'] }), { message: /--nodes: gamma is missing: .*haresources:1 prefers it/ })
  await t.rejects(convert({ ...o, nodes: ['gamma', 'Delta_1'] }), { message: /--nodes: "Delta_1" is not a node name/ })
  writeFileSync(join(o.confDir, 'haresources'), 'gamma IPaddr::192.168.1.10/24/eth1\nomega mysqld\n')
  await t.rejects(convert(o), { message: /haresources:2: omega is not a node of ha\.cf/ })
  writeFileSync(join(o.confDir, 'haresources'), 'gamma IPaddr::192.168.1.10/24/eth1/x/y\n')
  const c = await convert(o)
  t.match(reasons(c, o.root).join('\n'), /haresources:1: IPaddr::192\.168\.1\.10\/24\/eth1\/x\/y: the IPaddr agent refuses these arguments: .*is not ip\[\/bits/)
  t.ok(readFileSync(join(o.confDir, 'haresources'), 'utf8').includes('/x/y'), 'the input is not touched')
})
