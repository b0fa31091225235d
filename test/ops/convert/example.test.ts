// The example cluster of examples/mysql-appserver-cluster, converted: the CIB Pacemaker accepts, the
// corosync.conf Corosync accepts once the addresses ha.cf cannot give are written in, nothing secret copied.
import t from 'tap'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../../lib/exec.ts'
import { convert } from '../../../ops/convert/convert.ts'
import { convertedFiles } from '../../../ops/convert/command.ts'
import { agentsDir, example, pairsOf, readCib, verifyCib, type Xml } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'halo-convert-example-'))
t.teardown(() => run(['rm', '-rf', dir]))
const options = { confDir: example, to: 'cib' as const, root: dir, drbdConf: example, monCf: join(example, 'mon.cf'), agentsDir }

t.test('the example as a CIB: the group, DRBD as a promotable clone, the constraints, the defaults', async (t) => {
  const c = await convert(options)
  const cib = await readCib(c.resources.text)
  const conf = cib.cib.configuration[0]
  const resources = conf.resources[0]
  t.equal(c.resources.file, 'cib.xml')

  const [group] = resources.group
  t.same(group.primitive.map((p: Xml) => `${p.$.class}:${p.$.provider}:${p.$.type}`), ['ocf:halo:Filesystem', 'ocf:halo:IPaddr', 'ocf:halo:mysql', 'ocf:halo:appserver'], 'haresources order; drbddisk and halo-mon are not in the group')
  const [fs, ip, mysql, appserver] = group.primitive
  t.same(pairsOf(fs, 'instance_attributes'), { device: '/dev/drbd0', directory: '/srv/ha', fstype: 'ext4' })
  t.same(pairsOf(ip, 'instance_attributes'), { ip: '192.0.2.10', cidr_netmask: '24', nic: 'eth1' }, "IPaddr's v1 argument as named parameters")
  t.same(pairsOf(mysql, 'instance_attributes'), { config: '/srv/ha/mysql/my.cnf' })
  t.same(pairsOf(appserver, 'instance_attributes'), { init_script: '/srv/ha/aggregate/bin/linkserv', pid: '/run/linkserv.pid', ports: '6460,8443' })
  const op = (p: Xml, name: string) => p.operations[0].op.filter((o: Xml) => o.$.name === name).map((o: Xml) => o.$)
  t.match(op(fs, 'monitor'), [{ interval: '20s', timeout: '40s' }], "Filesystem's monitor from its meta-data")
  t.match(op(fs, 'start'), [{ interval: '0s', timeout: '60s' }])
  t.match(op(mysql, 'monitor'), [{ interval: '2s', timeout: '30s' }], "mon.cf's 2 s check of port 3306 becomes mysql's monitor interval")
  t.match(op(appserver, 'monitor'), [{ interval: '2s' }], 'and of ports 6460 and 8443 the appserver\'s')
  t.same(pairsOf(mysql, 'meta_attributes'), { 'migration-threshold': '3', 'failure-timeout': '600s' }, "halo-recover.alert mysqld: recovery.cf's two restarts in place, the third failure moves the group")
  t.same(pairsOf(appserver, 'meta_attributes'), { 'migration-threshold': '4', 'failure-timeout': '600s' }, 'and appserver: three restarts in place')
  t.same(pairsOf(ip, 'meta_attributes'), {}, 'no mon service watched the address itself')

  const drbd = resources.clone.find((k: Xml) => k.primitive[0].$.type === 'drbd')
  t.same(pairsOf(drbd, 'meta_attributes'), { promotable: 'true', 'promoted-max': '1', 'promoted-node-max': '1', 'clone-max': '2', 'clone-node-max': '1', notify: 'true' })
  t.same(pairsOf(drbd.primitive[0], 'instance_attributes'), { drbd_resource: 'r0' })
  t.same(op(drbd.primitive[0], 'monitor').map((o: Xml) => [o.role, o.interval]), [['Promoted', '20s'], ['Unpromoted', '21s']], 'one monitor per role, at different intervals')

  const constraints = conf.constraints[0]
  t.match(constraints.rsc_colocation.map((x: Xml) => x.$), [{ rsc: group.$.id, 'with-rsc': drbd.$.id, 'with-rsc-role': 'Promoted', score: 'INFINITY' }])
  t.match(constraints.rsc_order.map((x: Xml) => x.$), [{ first: drbd.$.id, 'first-action': 'promote', then: group.$.id, 'then-action': 'start', kind: 'Mandatory' }])
  const locations = constraints.rsc_location.map((x: Xml) => x)
  t.match(locations.filter((x: Xml) => x.$.node).map((x: Xml) => x.$), [{ rsc: group.$.id, node: 'node1', score: '100' }], 'the preferred node; r0.res names both nodes, so no ban')
  const pingRule = locations.find((x: Xml) => x.rule)
  t.equal(pingRule.$.rsc, group.$.id)
  t.match(pingRule.rule.map((r: Xml) => r.$), [{ score: '-INFINITY', 'boolean-op': 'or' }, { 'score-attribute': 'pingd' }], 'never where no ping node answers; else where more do')
  const ping = resources.clone.find((k: Xml) => k.primitive[0].$.type === 'ping')
  t.match(pairsOf(ping.primitive[0], 'instance_attributes'), { host_list: '192.0.2.254' })

  const props = Object.fromEntries(conf.crm_config[0].cluster_property_set[0].nvpair.map((p: Xml) => [p.$.name, p.$.value]))
  t.same(props, { 'stonith-enabled': 'false' }, 'no stonith line: fencing off, as the pair ran')
  t.same(pairsOf(conf.rsc_defaults[0], 'meta_attributes'), { 'resource-stickiness': '200' }, 'auto_failback off: stickiness above the preferred score')
  t.same(conf.nodes[0].node.map((n: Xml) => n.$), [{ id: '1', uname: 'node1' }, { id: '2', uname: 'node2' }])

  const verified = await verifyCib(c.resources.text, dir)
  t.same(verified, { code: 0, said: '' }, 'crm_verify: no error, no warning')
})

t.test('what is not converted is named with its file:line', async (t) => {
  const { notConverted } = await convert(options)
  const at = (file: string, line: number, re: RegExp) => t.ok(notConverted.some((n) => n.file === join(example, file) && n.line === line && re.test(n.reason)), `${file}:${line} ${re}`)
  at('ha.cf', 0, /no fencing.*stonith-enabled=false/)
  at('ha.cf', 14, /bcast eth0: .*ADDRESS-OF-node1-ON-eth0.*DRBD's resource files give node1 10\.0\.0\.1/)
  at('ha.cf', 15, /ucast eth1: the addresses taken as the nodes' in node order \(node1 192\.0\.2\.1, node2 192\.0\.2\.2\)/)
  at('authkeys', 4, /sha1: carried over as crypto_hash sha1.*corosync-keygen/)
  at('haresources', 4, /halo-mon::\/etc\/mon\/mon\.cf: not carried over/)
  at('r0.res', 33, /drbd-peer-outdater.*crm-fence-peer\.9\.sh/)
  at('recovery.cf', 16, /^appserver watch=: .*no Pacemaker equivalent: the resource's op monitor interval/)
  t.equal(notConverted.length, 7, notConverted.map((n) => n.reason).join('\n'))
})

t.test('corosync.conf: knet links, the token from deadtime, two_node, sha1; Corosync accepts it once the addresses are written in', async (t) => {
  const c = await convert(options)
  t.match(c.corosync, /token: 1000\n\s+token_retransmits_before_loss_const: 5\n\s+consensus: 1200\n/, 'deadtime 1 s, keepalive 200 ms')
  t.match(c.corosync, /two_node: 1/)
  t.match(c.corosync, /crypto_cipher: none\n\s+crypto_hash: sha1\n/)
  t.match(c.corosync, /name: node1\n\s+nodeid: 1\n\s+ring0_addr: ADDRESS-OF-node1-ON-eth0\n\s+ring1_addr: 192\.0\.2\.1\n/)
  for (const [name, text] of convertedFiles(c)) t.notMatch(text, 'change-this-secret-on-both-nodes', `${name}: no authkeys secret`)

  const key = join(dir, 'authkey')
  await run(['corosync-keygen', '-k', key])
  const keyed = c.corosync.replace('transport: knet\n', `transport: knet\n    keyfile: ${key}\n`)
  const unfilled = join(dir, 'unfilled.conf')
  writeFileSync(unfilled, keyed)
  const refused = await run(['corosync', '-t', '-c', unfilled], { timeout: 20_000 })
  t.not(refused.code, 0, 'an address left unfilled is refused, not guessed')
  t.match(refused.stdout + refused.stderr, /ADDRESS-OF-node\d-ON-eth0/)
  // the admin's addresses; loopback ones here, so that this machine is node1 (corosync -t only reads the file)
  const filled = join(dir, 'filled.conf')
  writeFileSync(filled, keyed.replace('ADDRESS-OF-node1-ON-eth0', '127.0.0.1').replace('ADDRESS-OF-node2-ON-eth0', '127.0.0.3').replace('192.0.2.1\n', '127.0.0.2\n').replace('192.0.2.2\n', '127.0.0.4\n'))
  const accepted = await run(['corosync', '-t', '-c', filled], { timeout: 20_000 })
  t.equal(accepted.code, 0, accepted.stdout + accepted.stderr)
  t.ok(readFileSync(filled, 'utf8').includes('ring1_addr: 127.0.0.2'))
})
