/**
 * The example cluster's files (examples/mysql-appserver-cluster) against the real tools they are written
 * for: drbdadm (DRBD 9, and 8.4's drbdadm-84 with the fencing line where 8.4 wants it), the real Heartbeat
 * 3.0.6 starting on ha.cf, haresources and authkeys in a virtual node, the real mon 1.3 reading mon.cf; and
 * halo's own parsers, which take each without a warning. Then what the files must say for a real site:
 * a bounded wait at boot, no automatic discard of committed data, a ping node, no heartbeats broadcast to
 * the clients, one alert per outage after more than one failed check, halo-heartbeat after drbd.service.
 * Needs `npm run build` (halo's agents stand in the node's resource.d, as v1-names puts them there).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { NODE_POWER, VirtualNode } from '../../demo/node.ts'
import { parseAuthKeys } from '../../ha.d/config/authkeys.ts'
import { parseHaCf } from '../../ha.d/config/hacf.ts'
import { parseHaresources } from '../../ha.d/config/haresources.ts'
import { parseFenceCf } from '../../ha.d/fence-cf.ts'
import { parseRecoveryCf } from '../../ha.d/config/recovery.ts'
import { until } from '../../lib/wait.ts'
import { parseAuthCf } from '../../mon/authcf.ts'
import { parseMonCf } from '../../mon/config/moncf.ts'
import { atEnd } from '../harness/cleanup.ts'
import { HEARTBEAT_BOOT, installHeartbeatFiles, logTrouble } from '../harness/heartbeat.ts'
import { netns, veth } from '../harness/netns.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const dir = join(repo, 'examples/mysql-appserver-cluster')
const path = (name: string) => join(dir, name)
const read = (name: string) => readFileSync(path(name), 'utf8')
const scratch = mkdtempSync(join(tmpdir(), 'halo-example-files-'))
t.teardown(() => void spawnSync('rm', ['-rf', scratch]))

const NODES = ['node1', 'node2']
const hacf = parseHaCf(read('ha.cf'), path('ha.cf'), { uname: 'node1' })
const [group] = parseHaresources(read('haresources'), path('haresources'), NODES)

t.test("halo's parsers take every file without a warning", async (t) => {
  t.same(hacf.nodes, NODES)
  t.same(hacf.warnings, [], 'ha.cf')
  t.equal(group.resources.length, 6, 'haresources: one group of six resources')
  t.equal(parseAuthKeys(read('authkeys'), path('authkeys')).use.method, 'sha1', 'authkeys: signed with a secret')
  t.same(parseFenceCf(read('fence.cf'), path('fence.cf'), NODES).devices, [], 'fence.cf: its devices are commented out')
  const mon = parseMonCf(read('mon.cf'), path('mon.cf'))
  t.same(mon.warnings, [], 'mon.cf')
  const recovery = parseRecoveryCf(read('recovery.cf'), path('recovery.cf'), [group])
  t.same(Object.keys(recovery.resources).map((r) => r.split('::')[0]).sort(), ['appserver', 'mysqld'], 'recovery.cf: a policy for MariaDB and the application server')
  // each service's alert recovers a resource of the group, by the name recovery.cf and the engine know it
  const recovered = mon.config.watches.flatMap((w) => w.services.flatMap((s) => s.periods.flatMap((p) => p.alert.filter((a) => a.name === 'halo-recover.alert').map((a) => a.args[0]))))
  t.same(recovered, ['mysqld', 'appserver', 'appserver'], "mon.cf: halo-recover.alert for MariaDB's and the application server's services")
  for (const r of recovered) t.ok(group.resources.some((g) => g.script === r), `${r} is a resource of haresources`)
  const authWarnings: string[] = []
  parseAuthCf(read('auth.cf'), path('auth.cf'), (w) => authWarnings.push(w))
  t.same(authWarnings, [], 'auth.cf')
})

/** drbdadm (or drbdadm-84) dump of a copy of r0.res, as node1: its own UTS and network namespace with node1's address */
function drbdDump(program: string, text: string): { status: number | null; stdout: string; stderr: string } {
  const file = join(scratch, `${program.replace(/\W/g, '_')}.res`)
  writeFileSync(file, text)
  const script = 'ip link set lo up && ip addr add 10.0.0.1/24 dev lo && hostname node1 && exec "$0" -c "$1" dump r0'
  const r = spawnSync('unshare', ['-u', '-n', 'sh', '-c', script, program, file], { encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => !l.startsWith('modinfo:')).join('\n') }
}

/** drbdadm's options of a dump: `name value;` lines */
const options = (dump: string) => new Map([...dump.matchAll(/^\s+([a-z0-9-]+)\s+([^;{]+?)\s*;$/gm)].map((m) => [m[1], m[2]]))

t.test('r0.res: drbdadm (DRBD 9) and drbdadm-84 read it', { skip: existsSync('/usr/sbin/drbdadm') ? false : 'drbd-utils is not installed' }, async (t) => {
  const nine = drbdDump('/usr/sbin/drbdadm', read('r0.res'))
  t.equal(nine.status, 0, nine.status === 0 ? 'DRBD 9: drbdadm dump r0' : `DRBD 9: ${nine.stderr}`)
  t.notMatch(nine.stderr, /not found on this host|error/i, 'no complaint about the file')
  // 8.4 takes `fencing` in a disk section, as r0.res's comment says
  const text84 = read('r0.res').replace(/^\s*fencing resource-only;\n/m, '').replace(/^ {2}net \{/m, '  disk { fencing resource-only; }\n  net {')
  const eight = drbdDump('/lib/drbd/drbdadm-84', text84)
  t.equal(eight.status, 0, eight.status === 0 ? '8.4: drbdadm-84 dump r0' : `8.4: ${eight.stderr}`)

  for (const [version, dump] of [['9', nine.stdout], ['8.4', eight.stdout]]) {
    const o = options(dump)
    // drbd.service waits this long for the peer at boot (0, the default, is forever)
    t.ok(Number(o.get('wfc-timeout')) > 0, `${version}: wfc-timeout bounds the wait at boot (${o.get('wfc-timeout')})`)
    t.ok(Number(o.get('degr-wfc-timeout')) > 0, `${version}: so does degr-wfc-timeout (${o.get('degr-wfc-timeout')})`)
    // after a split brain only a node that wrote nothing is resynchronised without the admin
    t.match(o.get('after-sb-0pri'), /^(disconnect|discard-zero-changes)$/, `${version}: after-sb-0pri discards nothing committed`)
    t.equal(o.get('after-sb-1pri'), 'disconnect', `${version}: after-sb-1pri`)
    t.equal(o.get('after-sb-2pri'), 'disconnect', `${version}: after-sb-2pri`)
    t.equal(o.get('fencing'), 'resource-only', `${version}: fencing`)
  }
})

t.test('ha.cf: a ping node, heartbeats to the clients only by ucast', async (t) => {
  t.ok(hacf.pingNodes.length > 0, 'a ping node (the router) tells a dead client uplink from a dead peer')
  // the virtual IP's interface is the client LAN: IPaddr::IP/BITS/IFACE
  const vip = group.resources.find((r) => r.script === 'IPaddr')
  const lan = vip?.args[0].split('/')[2]
  t.ok(lan, 'haresources names the client LAN in IPaddr')
  const on = (iface: string | undefined) => hacf.media.filter((m) => m.kind !== 'serial' && m.iface === iface)
  t.same(on(lan).filter((m) => m.kind !== 'ucast'), [], `no bcast or mcast on ${lan}`)
  t.same(on(lan).map((m) => m.kind === 'ucast' && m.peer).sort(), ['192.0.2.1', '192.0.2.2'], `ucast on ${lan} to each node (each skips its own)`)
  t.ok(hacf.media.length > on(lan).length, 'a second link, the crossover cable')
})

t.test('mon.cf: mon 1.3 reads it', { skip: existsSync('/usr/sbin/mon') ? false : 'mon is not installed' }, async (t) => {
  // mon has no check mode: it reads the whole file, then stops at the auth file it cannot open (no port bound)
  const noAuth = '/nonexistent/halo-example/auth.cf'
  const r = spawnSync('/usr/sbin/mon', ['-c', path('mon.cf'), '-A', noAuth, '-b', scratch, '-B', scratch, '-L', scratch, '-D', scratch, '-P', ''], { encoding: 'utf8', timeout: 20_000 })
  t.match(r.stderr, `could not open ${noAuth}`, 'mon got past the file')
  t.notMatch(r.stderr, /cf error/, 'no cf error')
})

t.test('mon.cf: one slow check moves nothing, one outage is one alert', async (t) => {
  const { config } = parseMonCf(read('mon.cf'), path('mon.cf'))
  const services = config.watches.flatMap((w) => w.services)
  t.same(services.map((s) => s.name), ['mysql', 'appserver', 'web'])
  for (const s of services) {
    const interval = s.interval ?? 0
    t.equal(interval % 1000, 0, `${s.name}: whole seconds (mon refuses ms)`)
    const timeout = /-t\s+(\d+)/.exec(s.monitor?.args.join(' ') ?? '')
    t.ok(timeout && Number(timeout[1]) * 1000 < interval, `${s.name}: tcp.monitor gives up (-t ${timeout?.[1]} s) before the next check (${interval} ms)`)
    t.equal(s.monitorTimeout, undefined, `${s.name}: no halo-only keyword`)
    for (const p of s.periods) {
      t.ok((p.alertafter?.failures ?? 1) >= 2, `${s.name}: alertafter ${p.alertafter?.failures}: one failed check is not an outage`)
      t.ok(p.numalerts === 1 || (p.alertevery?.interval ?? 0) >= 3_600_000, `${s.name}: one alert per outage (numalerts ${p.numalerts})`)
    }
  }
})

t.test('boot order and what runs at boot', async (t) => {
  const unit = readFileSync(join(repo, 'systemd/halo-heartbeat.service'), 'utf8')
  t.match(unit, /^After=.*\bdrbd\.service\b/m, 'halo-heartbeat starts after drbd.service has brought r0 up')
  const readme = read('README.md')
  for (const command of ['systemctl enable drbd', 'systemctl disable --now mariadb', 'systemctl disable --now heartbeat', 'systemctl disable --now mon', 'systemctl enable --now halo-heartbeat']) {
    t.ok(readme.includes(command), `the example's README: ${command}`)
  }
  t.match(readFileSync(join(repo, 'README.md'), 'utf8'), /systemctl disable --now heartbeat/, "the migration disables heartbeat.service")
})

t.test('my.cnf: no binary log setting without the binary log', async (t) => {
  const cnf = read('my.cnf')
  const binlog = /^\s*log[-_]bin\b/m.test(cnf)
  t.ok(binlog || !/^\s*sync[-_]binlog\b/m.test(cnf), 'sync_binlog only with log-bin')
  t.match(cnf, /^innodb_flush_log_at_trx_commit = 1$/m, 'every commit on the disk')
})

t.test('the real Heartbeat 3.0.6 starts on ha.cf, haresources and authkeys as shipped', { skip: existsSync('/usr/libexec/heartbeat/heartbeat') ? false : 'heartbeat is not installed' }, async (t) => {
  // node1 with the example's two links (a veth each to a namespace standing in for node2 and the LAN)
  const [ns, other] = [await netns(t), await netns(t)]
  await veth(ns, other, 'eth0')
  await veth(ns, other, 'eth1')
  const root = mkdtempSync(join(tmpdir(), 'halo-example-node1-'))
  atEnd(t, ['rm', '-rf', root])
  const etc = join(root, 'etc/ha.d')
  mkdirSync(join(etc, 'resource.d'), { recursive: true })
  for (const f of ['ha.cf', 'haresources', 'authkeys']) copyFileSync(path(f), join(etc, f))
  chmodSync(join(etc, 'authkeys'), 0o600)
  copyFileSync(path('halo-mon'), join(etc, 'resource.d/halo-mon'))
  chmodSync(join(etc, 'resource.d/halo-mon'), 0o755)
  // halo's agents under Heartbeat's names, as v1-names puts them (Heartbeat looks for each script at start)
  for (const [name, agent] of Object.entries({ IPaddr: 'IPaddr', Filesystem: 'Filesystem', drbddisk: 'drbddisk', mysqld: 'mysql', appserver: 'appserver' })) {
    symlinkSync(join(repo, 'dist/agents', agent), join(etc, 'resource.d', name))
  }
  installHeartbeatFiles(root)
  const vm = new VirtualNode({ name: 'node1', netns: ns, dir: root, addresses: { eth0: '10.0.0.1/24', eth1: '192.0.2.1/24' }, command: HEARTBEAT_BOOT }, t)
  atEnd(t, [NODE_POWER, 'off', root])
  await vm.boot()
  const log = () => (existsSync(join(root, 'var/log/ha-log')) ? readFileSync(join(root, 'var/log/ha-log'), 'utf8') : '')
  const answers = async () => (await vm.exec(['/usr/bin/cl_status', 'hbstatus'])).code === 0
  // Heartbeat refuses a bad file at start ("Configuration error, heartbeat not started") and exits
  await until('heartbeat to answer or refuse its files', async () => (await answers()) || /not started|Configuration error/i.test(log()), 20_000)
  const up = await answers()
  t.ok(up, up ? "heartbeat runs on the example's files" : `heartbeat refused the example's files:\n${log()}`)
  t.same(logTrouble(log()), [], 'no ERROR in its log')
  t.match(log(), /Configuration validated/, 'Heartbeat says the configuration is valid')
  for (const p of ['keepalive', 'deadtime', 'initdead']) {
    const r = await vm.exec(['/usr/bin/cl_status', 'hbparameter', '-p', p])
    t.equal(r.stdout.trim(), hacf.parameters.get(p), `${p}: Heartbeat holds what halo holds`)
  }
  await vm.powerCut()
})
