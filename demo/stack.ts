/**
 * The example cluster (examples/mysql-appserver-cluster) on one machine: node1 and node2 joined by a
 * heartbeat link (eth0, 10.0.0.0/24) and a service network (eth1, 192.0.2.0/24) whose switch is the
 * client's namespace; a management LAN (eth2) with each node's BMC, which its peer fences it through
 * (demo/stack-fencing.ts: ha.cf's stonith_host lines filled in; none when ipmi_sim or stonith is missing);
 * a loop device with ext4 standing in for DRBD (both nodes see it, the Filesystem
 * agent mounts it on the active one); MariaDB with its datadir on it and the AggreGate-like server
 * installed on it; halo's engine on both nodes, started by every boot (a BMC's reset included), halo-mon
 * in the group. The example's files are used as shipped, with only what a DRBD-less single machine must
 * change (drbddisk dropped, /dev/drbd0 → the loop device, hb_standby's path) and what the admin fills in
 * (the BMCs' addresses and passwords). Used by `halo demo`, the end-to-end test and bench/stack.ts, which
 * also builds it on the real Heartbeat 3.0.6 with the Debian packages' scripts (demo/stack-heartbeat.ts).
 */
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { HaloError } from '../lib/errors.ts'
import { runOk } from '../lib/exec.ts'
import { account } from '../lib/users.ts'
import { type LoopDisk, loopExt4 } from './loop.ts'
import { until } from '../lib/wait.ts'
import { SCHEMA_SQL } from './client.ts'
import type { Bmc } from './bmc.ts'
import { HEARTBEAT_BOOT, HEARTBEAT_PROGRAMS, engineAnswers, heartbeatAnswers, installHeartbeatFiles } from './heartbeat.ts'
import { netns } from './netns.ts'
import { VirtualNode } from './node.ts'
import { type Scope, atEnd } from './scope.ts'
import { FENCING_PACKAGES, MANAGEMENT, cableManagementLan, fencingMissing, fillStonithLines, startBmcs } from './stack-fencing.ts'
import { HB_STANDBY, LINKSERV_INIT, MYSQL_INSTANCE, MYSQL_OCF_CONF, OCF_ENV, heartbeatResources } from './stack-heartbeat.ts'
import { Watcher } from './watch.ts'

export const VIP = '192.0.2.10'
export const CLIENT_ADDRESS = '192.0.2.100'
/** ha.cf's ping node */
export const ROUTER = '192.0.2.254'
export const MOUNTPOINT = '/srv/ha'
const NODES = [
  { name: 'node1', eth0: '10.0.0.1/24', eth1: '192.0.2.1/24' },
  { name: 'node2', eth0: '10.0.0.2/24', eth1: '192.0.2.2/24' },
] as const
/**
 * From power on to the engine's start. A server's firmware and OS take a minute or more; a virtual node
 * starts in milliseconds, and one reset by its BMC would be back before its peer's fence command even
 * returns (stonith waits 1 s after a reset), taking its group again from a peer that never got to start it.
 */
const BOOT_SECONDS = 4
/**
 * The node's boot, then its engine ("$@"). A machine's /tmp is cleared at boot; the node's is the host's,
 * so it gets /run/tmp, which goes with its power: what its programs leave there when they are killed (the
 * engine's stonith parameter files, BMC passwords in them) does not pile up on the host.
 */
const BOOT = `sleep ${BOOT_SECONDS} && mkdir -p -m 1777 /run/tmp && exec "$@"`
/** haresources names → halo's agents */
const AGENTS = { IPaddr: 'IPaddr', Filesystem: 'Filesystem', mysqld: 'mysql', appserver: 'appserver' }

export interface StackOptions {
  /** the folder of halo's programs (dist/bin, /usr/lib/halo/bin); agents are in ../agents */
  bin: string
  scope: Scope
  /** told each step as it starts */
  say?: (step: string) => void
  /** which engine runs the nodes: halo's (the default), or the real Heartbeat 3.0.6 with its scripts */
  engine?: 'halo' | 'heartbeat'
  /**
   * mon.cf's alert: the example's halo-recover.alert (the default; restart in place under recovery.cf), or
   * ha-down.alert (any failure moves the group: before local recovery, and on Heartbeat, which has none)
   */
  alert?: MonAlert
  /** recovery.cf's text in place of the example's (a test's short failure-timeout) */
  recoveryCf?: string
}

export type MonAlert = 'halo-recover' | 'ha-down'

export interface Stack {
  nodes: readonly [VirtualNode, VirtualNode]
  /** the folder of halo's programs; on Heartbeat, of its programs by halo's names (cl_status, hb_standby…) */
  bin: string
  node(name: string): VirtualNode
  /** the client's network namespace */
  client: string
  disk: LoopDisk
  /** each node's BMC (ha.cf fences through them); undefined when ipmi_sim or stonith is not installed */
  bmcs?: ReadonlyMap<string, Bmc>
  watcher: Watcher
  /** the engine's log of a node, on the host */
  haLog(node: VirtualNode): string
  /** powers a node on, unless its BMC did (a reset); resolves once its engine answers */
  boot(node: VirtualNode): Promise<void>
  /** waits until `name` runs the whole group and the other node nothing */
  settled(name: string, ms?: number): Promise<void>
  /** a halo program run inside a node; its stdout */
  cmd(node: VirtualNode, program: string, ...args: string[]): Promise<string>
}

/** examples/mysql-appserver-cluster, next to the programs (installed) or in the source tree */
export function exampleDir(bin: string): string {
  const found = [join(bin, '../examples'), join(bin, '../../examples')].map((d) => join(d, 'mysql-appserver-cluster')).find((d) => existsSync(d))
  if (!found) throw new HaloError(1, `the example cluster is not installed next to ${bin} (examples/mysql-appserver-cluster)`)
  return found
}

export async function buildStack(opts: StackOptions): Promise<Stack> {
  const { bin, scope } = opts
  const heartbeat = opts.engine === 'heartbeat'
  const say = opts.say ?? (() => {})
  const example = exampleDir(bin)
  const root = mkdtempSync(join(tmpdir(), 'halo-stack-'))
  atEnd(scope, ['rm', '-rf', '--one-file-system', root])

  say('network: node1 and node2 on a heartbeat link and a service network with a client')
  const ns = await Promise.all(['node1', 'node2', 'client'].map(() => netns(scope, 'halo')))
  const [ns1, ns2, client] = ns
  const missing = fencingMissing()
  const lan = missing.length ? undefined : await netns(scope, 'halo')
  if (lan) {
    say('management LAN: a BMC per node (ipmi_sim); ha.cf fences each node through its BMC (stonith_host external/ipmi)')
    await cableManagementLan(lan, [ns1, ns2])
  } else {
    say(`no fencing: ${missing.join(', ')} not installed, so the fencing act is skipped (it needs the Debian packages ${FENCING_PACKAGES.join(', ')})`)
  }
  await runOk(['ip', 'link', 'add', 'eth0', 'netns', ns1, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns2])
  await runOk(['ip', '-n', client, 'link', 'add', 'br0', 'type', 'bridge'])
  for (const [i, nodeNs] of [ns1, ns2].entries()) {
    const port = `port${i + 1}`
    await runOk(['ip', 'link', 'add', 'eth1', 'netns', nodeNs, 'type', 'veth', 'peer', 'name', port, 'netns', client])
    await runOk(['ip', '-n', client, 'link', 'set', port, 'master', 'br0', 'up'])
  }
  await runOk(['ip', '-n', client, 'addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', 'br0'])
  // the service network's router, which ha.cf pings: the client's namespace is the nodes' way out
  await runOk(['ip', '-n', client, 'addr', 'add', `${ROUTER}/24`, 'dev', 'br0'])
  await runOk(['ip', '-n', client, 'link', 'set', 'br0', 'up'])

  say('data disk: a loop device with ext4 (standing in for DRBD), MariaDB and the application server on it')
  const disk = await loopExt4(scope, 512)
  await prepareDisk(disk, example, bin)

  // the environment systemd gives the unit, not the caller's: every agent the engine runs inherits it;
  // and a temporary directory of the node's own (BOOT)
  const env = { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, LANG: 'C.UTF-8', TMPDIR: '/run/tmp' }
  // Heartbeat's scripts must find its own cl_status first; halo's bin stays on PATH for halo-mon
  const engine = heartbeat
    ? envArgv({ ...env, PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${bin}`, ...OCF_ENV(root) }, HEARTBEAT_BOOT)
    : envArgv(env, [process.execPath, join(bin, 'halo-heartbeat'), '-f'])
  const nodes = NODES.map((n, i) => {
    const addresses = { eth0: n.eth0, eth1: n.eth1, ...(lan ? { eth2: MANAGEMENT[n.name].eth2 } : {}) }
    // the engine is the node's command: every boot starts it, a BMC's reset too, once the machine is up
    const command = ['sh', '-c', BOOT, 'boot', ...engine]
    return new VirtualNode({ name: n.name, netns: ns[i], dir: join(root, n.name), addresses, command }, scope)
  }) as unknown as [VirtualNode, VirtualNode]
  const bmcs = lan ? await startBmcs(scope, lan, nodes) : undefined
  const alert = heartbeat ? 'ha-down' : (opts.alert ?? 'halo-recover')
  for (const node of nodes) writeNodeFiles(node.spec.dir, { example, bin, device: disk.device, heartbeat, alert, recoveryCf: opts.recoveryCf, bmcs })
  const programs = heartbeat ? heartbeatBin(root) : bin
  const haLog = (node: VirtualNode) => join(node.spec.dir, 'var/log/ha-log')
  const watcher = new Watcher(
    nodes.map((node) => ({ node, haLog: haLog(node) })),
    { vip: VIP, mountpoint: MOUNTPOINT, ports: { mysql: 3306, appserver: 6460, mon: 2583 } },
  )
  scope.teardown(() => watcher.stop())

  const stack: Stack = {
    nodes,
    bin: programs,
    node: (name) => nodes.find((n) => n.name === name)!,
    client,
    disk,
    bmcs,
    watcher,
    haLog,
    async boot(node) {
      if (!node.up) await node.boot()
      await (heartbeat ? heartbeatAnswers(node) : engineAnswers(node, join(bin, 'cl_status')))
    },
    async settled(name, ms = 60_000) {
      await until(`${name} to run the whole group`, () => watcher.holder() === name, ms)
    },
    async cmd(node, program, ...args) {
      return (await runOk(node.enter([join(programs, program), ...args]))).trim()
    },
  }

  say('booting node1 and node2; heartbeat starts the group on node1')
  await Promise.all(nodes.map((n) => stack.boot(n)))
  await stack.settled('node1')
  say('creating the demo database and its client account')
  await runOk(nodes[0].enter(['mariadb', '--no-defaults', '--socket=/run/mysqld/mysqld.sock', '-e', SCHEMA_SQL]))
  return stack
}

/** MariaDB's datadir and my.cnf, and the application server's installation, on the shared disk */
export async function prepareDisk(disk: LoopDisk, example: string, bin: string): Promise<void> {
  const mnt = join(disk.dir, 'mnt')
  mkdirSync(mnt)
  await runOk(['mount', disk.device, mnt])
  try {
    // MariaDB's bootstrap runs as mysql and must reach the datadir through the scratch directory
    for (const d of [disk.dir, mnt]) chmodSync(d, 0o755)
    const mysql = await account('mysql')
    const data = join(mnt, 'mysql/data')
    mkdirSync(data, { recursive: true })
    for (const d of [join(mnt, 'mysql'), data]) chownSync(d, mysql.uid, mysql.gid)
    copyFileSync(join(example, 'my.cnf'), join(mnt, 'mysql/my.cnf'))
    await runOk(['mariadb-install-db', '--no-defaults', '--user=mysql', `--datadir=${data}`, '--skip-name-resolve', '--skip-test-db', '--auth-root-authentication-method=socket'], { timeout: 120_000 })
    // the application server's init script, where the example's haresources expects it
    const script = join(mnt, 'aggregate/bin/linkserv')
    mkdirSync(dirname(script), { recursive: true })
    const halo = join(bin, 'halo')
    if ([process.execPath, halo].some((p) => p.includes("'"))) throw new HaloError(1, `cannot write an init script for ${halo}: a quote in the path`)
    writeFileSync(script, `#!/bin/sh\n# the demo's AggreGate-like server: linkserv start|stop\nexec '${process.execPath}' '${halo}' demo-appserver "$@"\n`, { mode: 0o755 })
  } finally {
    await runOk(['umount', mnt])
  }
}

/** Heartbeat's programs by halo's names, in one folder: what the scenario runs as `stack.bin/cl_status` */
function heartbeatBin(root: string): string {
  const dir = join(root, 'heartbeat-bin')
  mkdirSync(dir)
  for (const [name, program] of Object.entries(HEARTBEAT_PROGRAMS)) symlinkSync(program, join(dir, name))
  return dir
}

/** argv that runs `argv` with exactly `env` (a node's command starts with a machine's bare environment) */
const envArgv = (env: Record<string, string>, argv: readonly string[]) => ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]

/**
 * the example's files, made to fit this machine, in the node's own /etc/ha.d, /etc/mon, alert.d; with
 * BMCs, ha.cf's stonith_host lines filled in
 */
function writeNodeFiles(
  dir: string,
  f: { example: string; bin: string; device: string; heartbeat: boolean; alert: MonAlert; recoveryCf?: string; bmcs?: ReadonlyMap<string, Bmc> },
): void {
  const { example, bin, device, heartbeat, bmcs } = f
  const read = (f: string) => readFileSync(join(example, f), 'utf8')
  const put = (path: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text, { mode })
    chmodSync(join(dir, path), mode)
  }
  if (bmcs) put('etc/ha.d/ha.cf', fillStonithLines(read('ha.cf'), bmcs, join(example, 'ha.cf')), 0o600)
  else put('etc/ha.d/ha.cf', read('ha.cf'))
  const haresources = read('haresources').replaceAll('drbddisk::r0 ', '').replaceAll('/dev/drbd0', device)
  put('etc/ha.d/haresources', heartbeat ? heartbeatResources(haresources) : haresources)
  put('etc/ha.d/authkeys', read('authkeys'), 0o600)
  put('etc/ha.d/resource.d/halo-mon', read('halo-mon'), 0o755)
  if (heartbeat) {
    put(`etc/ha.d/conf/OCF/mysql/${MYSQL_INSTANCE}`, MYSQL_OCF_CONF)
    put('etc/ha.d/resource.d/linkserv', LINKSERV_INIT, 0o755)
    // IPaddr and Filesystem from the package's resource.d (after the node's own files: it keeps them)
    installHeartbeatFiles(dir)
  } else {
    for (const [name, agent] of Object.entries(AGENTS)) symlinkSync(join(bin, '../agents', agent), join(dir, 'etc/ha.d/resource.d', name))
  }
  // ha-down.alert takes no argument: the resource halo-recover.alert names goes with it
  put('etc/mon/mon.cf', f.alert === 'ha-down' ? read('mon.cf').replace(/alert halo-recover\.alert\b.*$/gm, 'alert ha-down.alert') : read('mon.cf'))
  // ha-down.alert is the cluster before local recovery: no recovery.cf, so the engine watches nothing
  if (!heartbeat && (f.alert !== 'ha-down' || f.recoveryCf !== undefined)) put('etc/ha.d/recovery.cf', f.recoveryCf ?? read('recovery.cf'))
  put('etc/mon/auth.cf', read('auth.cf'))
  put('usr/lib/mon/alert.d/ha-down.alert', read('ha-down.alert').replaceAll('/usr/lib/heartbeat/hb_standby', heartbeat ? HB_STANDBY : join(bin, 'hb_standby')), 0o755)
  // as the package links it (pkg/deb.ts)
  symlinkSync(join(bin, 'halo-recover-alert'), join(dir, 'usr/lib/mon/alert.d/halo-recover.alert'))
}
