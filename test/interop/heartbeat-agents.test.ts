// halo's agents under the real Heartbeat 3.0.6 ResourceManager on both nodes: one haresources line
// (drbddisk, Filesystem, IPaddr, mysqld) started on nodea, taken over by nodeb at a power cut of nodea, and
// given back (auto_failback on) when nodea boots again. The package's own scripts of those names are
// replaced in each node's resource.d by links to dist/agents, as `install.sh --replace-v1` would.
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import t from 'tap'
import { run, runOk } from '../../lib/exec.ts'
import { drbdPair, type DrbdNode } from '../drbd/pair.ts'
import { agentPath, v1 } from '../harness/agent.ts'
import { type HaloNode, cluster } from '../harness/cluster.ts'
import { loopExt4 } from '../harness/loop.ts'
import { mariadb } from '../harness/mariadb.ts'
import { until } from '../../lib/wait.ts'
import { powerCut, settled } from '../harness/scenario.ts'
import { cleanLogs } from './mixed.ts'

const VIP = '10.251.0.100'
/** haresources name → halo agent */
const AGENTS = { drbddisk: 'drbddisk', Filesystem: 'Filesystem', IPaddr: 'IPaddr', mysqld: 'mysql' } as const
/** what the probe row says: written before the cluster started, read through the VIP wherever the disk is */
const ROW = 'written-before-heartbeat'
/** one place per node for the drbd double, so ha.cf (the same on both nodes) can name it: /etc/ha.d/drbd */
const DRBD = '/etc/ha.d/drbd'

t.test('real Heartbeat runs drbddisk Filesystem IPaddr mysqld through a power cut and back', async (t) => {
  const disk = await loopExt4(t, 128)
  const mnt = join(disk.dir, 'mnt')
  mkdirSync(mnt)
  chmodSync(disk.dir, 0o755) // mkdtemp's 0700 would keep the mysql user out of the datadir below it
  const m = await mariadb(t)
  // the database the group serves: a probe user and row, made by halo's agent on the host, then put on the disk
  t.equal((await v1('mysql', [m.config], 'start')).code, 0, 'the seed server starts')
  await runOk(['mariadb', '--no-defaults', '-S', m.socket, '-e', `CREATE DATABASE halo; CREATE TABLE halo.t (v TEXT); INSERT INTO halo.t VALUES ('${ROW}'); CREATE USER probe@'10.251.0.%'; GRANT SELECT ON halo.* TO probe@'10.251.0.%'`])
  t.equal((await v1('mysql', [m.config], 'stop')).code, 0, 'the seed server stops')
  await runOk(['mount', disk.device, mnt])
  try {
    await runOk(['cp', '-a', m.datadir, join(mnt, 'mysql')])
  } finally {
    // unmounted before any node exists: a node's mount namespace would inherit the mount
    await runOk(['umount', mnt])
  }
  const datadir = join(mnt, 'mysql')
  // socket, pid file and error log live on the disk (owned by mysql), so they move with it
  const cnf = join(m.dir, 'ha.cnf')
  writeFileSync(
    cnf,
    ['[mysqld]', `datadir = ${datadir}`, `socket = ${datadir}/mysqld.sock`, `pid-file = ${datadir}/mysqld.pid`, `log-error = ${datadir}/error.log`, 'user = mysql', `bind-address = ${VIP}`, 'port = 3306', 'skip-name-resolve', 'innodb_buffer_pool_size = 16M', 'innodb_log_file_size = 8M', ''].join('\n'),
  )

  const pair = await drbdPair(t)
  for (const n of [pair.alpha, pair.beta]) await runOk([n.drbdadm, 'up', 'r0']) // DRBD's init script, before Heartbeat

  const line = `nodea drbddisk::r0 Filesystem::${disk.device}::${mnt}::ext4 IPaddr::${VIP}/24/eth0 mysqld::${cnf}`
  // `env N=V` in ha.cf: Heartbeat exports HA_N to the ResourceManager and so to drbddisk
  const hacf = `env DRBDADM=${DRBD}/drbdadm\nenv DRBDCONF=${DRBD}/drbd.conf\nenv PROC_DRBD=${DRBD}/proc\n`
  const [a, b] = await cluster(t, { kinds: ['heartbeat', 'heartbeat'], haresources: `${line}\n`, hacf, autoFailback: 'on' })
  const drbdOf = new Map<HaloNode, DrbdNode>([
    [a, pair.alpha],
    [b, pair.beta],
  ])
  for (const [node, d] of drbdOf) {
    const etc = join(node.dir, 'etc/ha.d')
    // over the package's scripts that the node's Heartbeat files brought, as --replace-v1 does
    for (const [name, agent] of Object.entries(AGENTS)) {
      rmSync(join(etc, 'resource.d', name), { force: true })
      symlinkSync(agentPath(agent), join(etc, 'resource.d', name))
    }
    // the double finds its node (double.json) beside the program it was run as
    mkdirSync(join(etc, 'drbd'))
    for (const f of ['drbdadm', 'drbdsetup', 'drbd.conf', 'double.json']) symlinkSync(join(dirname(d.drbdadm), f), join(etc, 'drbd', f))
    symlinkSync(d.proc, join(etc, 'drbd/proc'))
  }

  /** the node's own mounts, read from its init's mount namespace (none once it is dead) */
  const mounts = (node: HaloNode) => {
    try {
      return readFileSync(`/proc/${node.vm.pid}/mounts`, 'utf8')
    } catch {
      return ''
    }
  }
  /** which of the group's resources the node runs, each read where it lives */
  const holds = async (node: HaloNode) => ({
    drbd: pair.r0().nodes[drbdOf.get(node)!.name].role,
    mounted: mounts(node).includes(`${disk.device} ${mnt} ext4 `),
    address: (await run(['ip', '-n', node.netns, '-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(` ${VIP}/24 `),
    // the node's own PID namespace (/proc mounted for it): only its processes
    mysqld: (await node.vm.exec(['pgrep', '-x', 'mysqld|mariadbd'])).code === 0,
  })
  const ALL = { drbd: 'Primary', mounted: true, address: true, mysqld: true }
  const NONE = { drbd: 'Secondary', mounted: false, address: false, mysqld: false }
  /** MariaDB answers a query through the VIP (asked from `from`) with the row seeded before the cluster started */
  const answers = async (from: HaloNode) => (await from.vm.exec(['mariadb', '--no-defaults', '--protocol=tcp', '-h', VIP, '-u', 'probe', '-N', '-B', '-e', 'SELECT v FROM halo.t'])).stdout.trim()
  /** waits for `holder` to run the whole group, then checks the other node runs none of it */
  const placed = async (holder: HaloNode, other: HaloNode, what: string, ms: number) => {
    // mysqld's process shows before it listens: the group is in place once the VIP answers too
    await until(`${holder.name} to run the group`, async () => JSON.stringify(await holds(holder)) === JSON.stringify(ALL) && (await answers(holder)) === ROW, ms)
    t.same(await holds(holder), ALL, `${what}: ${holder.name} runs the group (Primary, mounted in its namespace, VIP on its eth0, mysqld)`)
    t.equal(await answers(holder), ROW, `${what}: MariaDB answers on ${VIP} with the row from the disk`)
    t.same(await holds(other), NONE, `${what}: ${other.name} runs none of the group (Secondary, not mounted, no VIP, no mysqld)`)
    t.notOk(readFileSync('/proc/self/mounts', 'utf8').includes(` ${mnt} `), `${what}: the host does not see the mount either`)
  }

  await Promise.all([a.boot(), b.boot()])
  for (const node of [a, b]) {
    for (const [name, agent] of Object.entries(AGENTS)) {
      t.equal(readlinkSync(join(node.dir, 'etc/ha.d/resource.d', name)), agentPath(agent), `${node.name}: resource.d/${name} is still halo's ${agent} after Heartbeat's files were added`)
    }
  }
  await placed(a, b, 'after start', 40_000)
  await settled(a, 'local')

  // a power cut takes DRBD down with the node: the peer sees the link gone and may promote
  pair.node('alpha', { up: false, role: 'Secondary' })
  await powerCut(a)
  // the VIP was only in nodea's memory; its network namespace (the harness's "hardware") outlives the cut
  await runOk(['ip', '-n', a.netns, 'addr', 'del', `${VIP}/24`, 'dev', 'eth0'])
  await placed(b, a, 'after the power cut of nodea', 30_000)
  await settled(b, 'all')

  await runOk([pair.alpha.drbdadm, 'up', 'r0']) // nodea's DRBD comes back at boot, resyncs from nodeb
  await a.boot()
  await placed(a, b, 'after failback', 40_000)
  await settled(a, 'local')
  await settled(b, 'local')

  cleanLogs(t, [a, b])
  for (const node of [a, b]) {
    t.notOk(existsSync(join(node.dir, 'reboot.log')), `${node.name}'s ResourceManager never rebooted the node for a failed stop`)
    t.notMatch(node.haLog(), /CRITICAL|probably not LSB-compliant|Giving up resources/, `${node.name}: no resource seen active when idle, no failed stop or start`)
  }
  // The ResourceManager runs start only where `status` said stopped (and a misread "running" skips it): each
  // takeover must show every start once, left to right; the release every stop, right to left.
  const ran = (node: HaloNode, action: string) =>
    [...node.haLog().matchAll(new RegExp(`info: Running /etc/ha\\.d/+resource\\.d/(.+) ${action}$`, 'gm'))].map((m) => m[1])
  const group = ['drbddisk r0', `Filesystem ${disk.device} ${mnt} ext4`, `IPaddr ${VIP}/24/eth0`, `mysqld ${cnf}`]
  t.same(ran(a, 'start'), [...group, ...group], 'nodea started each resource at boot and at failback, left to right')
  t.same(ran(a, 'stop'), [], 'nodea stopped nothing (its power was cut)')
  t.same(ran(b, 'start'), group, 'nodeb started each resource once, at the failover, left to right')
  t.same(ran(b, 'stop'), [...group].reverse(), 'nodeb stopped each resource once, at the failback, right to left')
})
