/**
 * A two-node halo cluster in virtual nodes, for the tests and the benchmarks: nodea (10.251.0.1) and nodeb
 * (10.251.0.2) joined by a veth (eth0 in each), each with its own ha.cf, authkeys and haresources (the
 * resources are the hbtest script beside this file) in its
 * /etc/ha.d, running dist/bin/halo-heartbeat -f from every boot. Needs `node build.ts halo-heartbeat
 * hb_standby hb_takeover cl_status` first. Either node may run the real Heartbeat 3.0.6 instead (`kinds`),
 * on the same files: that is a legacy cluster half migrated. With `bmc`, each node has a real BMC
 * (ipmi_sim, demo/bmc.ts) on a management LAN that both nodes reach through their eth1.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runOk } from '../../lib/exec.ts'
import { managementLan, plugIn, startBmc } from '../bmc.ts'
import { HEARTBEAT_BOOT, engineAnswers, heartbeatAnswers, heartbeatCommand, installHeartbeatFiles } from '../heartbeat.ts'
import { netns, veth } from '../netns.ts'
import { type PowerEvent, type VirtualNode, virtualNode } from '../node.ts'
import { reapArgv } from '../reap.ts'
import { type Scope, atEnd } from '../scope.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))
export const bin = (name: string) => join(repo, 'dist/bin', name)
const hbtest = fileURLToPath(new URL('hbtest', import.meta.url))

export interface ClusterOptions {
  keepalive?: string
  deadtime?: string
  initdead?: string
  warntime?: string
  autoFailback?: 'on' | 'off' | 'legacy'
  /** haresources lines; default nodea runs r1 r2, nodeb runs r3 */
  haresources?: string
  /** what nodea and nodeb run; default both halo */
  kinds?: readonly [NodeKind, NodeKind]
  /** the authkeys method; default sha1 */
  auth?: 'crc' | 'md5' | 'sha1'
  /** the heartbeat medium; default bcast */
  media?: 'bcast' | 'ucast'
  /** more ha.cf lines after the medium (a second medium, ping nodes) */
  hacf?: string
  /** environment for halo-heartbeat (HALO_STOP_*); per node when a function of its name */
  engineEnv?: Record<string, string> | ((node: string) => Record<string, string>)
  /**
   * a BMC per node (ipmi_sim at 10.252.0.101 for nodea, .102 for nodeb, port 623) on a management LAN
   * the nodes reach through eth1 (10.252.0.1 and .2); heartbeat stays on eth0
   */
  bmc?: boolean
}

/** What a fence device's configuration names (ipmi_sim, port 623), and where the BMC answers. */
export interface BmcAccess {
  address: string
  user: string
  /** new for every run; only in the BMC's private lan.conf and here */
  password: string
  /** the management LAN's network namespace (both BMCs' addresses are on its br0) */
  lan: string
}

/** halo's engine or the real Heartbeat 3.0.6 */
export type NodeKind = 'halo' | 'heartbeat'
/** how a report names each kind */
export const KIND_NAMES: Record<NodeKind, string> = { halo: 'halo', heartbeat: 'Heartbeat' }

export interface HaloNode {
  name: string
  kind: NodeKind
  address: string
  /** the node's network namespace, there before boot(), for links a test adds */
  netns: string
  /** the node's own files (etc/ha.d, var/lib/heartbeat…), there before boot(), for files a test adds */
  dir: string
  /** the virtual node; its pid follows every boot, its BMC's included */
  vm: VirtualNode
  /** the node's BMC, with the `bmc` option */
  bmc?: BmcAccess
  /** (re)boots the node with the same files (power off first if on); resolves once the engine answers */
  boot(): Promise<void>
  /** has the hbtest resource NAME running on this node (its mark in the node's /run; false when off) */
  running(resource: string): boolean
  /** every switch of the node's power (its BMC's, a power cut, a boot), in order */
  powerLog(): PowerEvent[]
  /** stops every process of the node (SIGSTOP), its kernel state left as it is; thaw() resumes them */
  freeze(): Promise<void>
  thaw(): Promise<void>
  /** the hbtest log: one entry per call */
  hbtestLog(): { ns: bigint; name: string; action: string }[]
  /** the engine's log file */
  haLog(): string
  /** runs a halo command (cl_status, hb_standby…; Heartbeat's own on a heartbeat node) inside the node; its stdout */
  cmd(name: string, ...args: string[]): Promise<string>
  /** graceful stop (halo-heartbeat -k, heartbeat -k); resolves when the command returns */
  stop(): Promise<void>
}

export async function cluster(scope: Scope, opts: ClusterOptions = {}): Promise<[HaloNode, HaloNode]> {
  const nsA = await netns(scope)
  const nsB = await netns(scope)
  await veth(nsA, nsB)
  const nodes = [
    { name: 'nodea', address: '10.251.0.1', ns: nsA, mgmt: '10.252.0.1', bmc: '10.252.0.101' },
    { name: 'nodeb', address: '10.251.0.2', ns: nsB, mgmt: '10.252.0.2', bmc: '10.252.0.102' },
  ]
  const lan = opts.bmc ? await netns(scope) : undefined
  if (lan) await managementLan(lan)
  const hacf = `keepalive ${opts.keepalive ?? '200ms'}
deadtime ${opts.deadtime ?? '1'}
warntime ${opts.warntime ?? '500ms'}
initdead ${opts.initdead ?? '3'}
udpport 694
${opts.media === 'ucast' ? nodes.map((n) => `ucast eth0 ${n.address}`).join('\n') : 'bcast eth0'}
${opts.hacf ?? ''}
auto_failback ${opts.autoFailback ?? 'on'}
node nodea
node nodeb
crm off
use_logd no
logfile /var/lib/heartbeat/ha-log
debugfile /var/lib/heartbeat/ha-debug
`
  const haresources = opts.haresources ?? 'nodea hbtest::r1 hbtest::r2\nnodeb hbtest::r3\n'
  return Promise.all(
    nodes.map(async ({ name, address, ns, mgmt, bmc: bmcAddress }, i) => {
      const kind = opts.kinds?.[i] ?? 'halo'
      const dir = mkdtempSync(join(tmpdir(), `halo-cluster-${name}-`))
      atEnd(scope, ['rm', '-rf', dir])
      // a failed scenario is read from the engines' logs: show them before the files go (teardowns run last first)
      scope.teardown(() => {
        if (scope.passing?.() === false) scope.comment?.(`${name}'s ha-log (${kind}):\n${node.haLog()}`)
      })
      const etc = join(dir, 'etc/ha.d')
      mkdirSync(join(etc, 'resource.d'), { recursive: true })
      writeFileSync(join(etc, 'ha.cf'), hacf)
      writeFileSync(join(etc, 'haresources'), haresources)
      const method = opts.auth ?? 'sha1'
      writeFileSync(join(etc, 'authkeys'), `auth 1\n1 ${method}${method === 'crc' ? '' : ' halo-cluster-test'}\n`, { mode: 0o600 })
      chmodSync(join(etc, 'authkeys'), 0o600)
      copyFileSync(hbtest, join(etc, 'resource.d/hbtest'))
      chmodSync(join(etc, 'resource.d/hbtest'), 0o755)
      if (kind === 'heartbeat') installHeartbeatFiles(dir)
      const lib = join(dir, 'var/lib/heartbeat')
      if (lan) await plugIn(lan, ns)
      // the engine is the node's command: every boot starts it, a BMC's power-on too. With BMCs (fencing, where
      // a reset node must not come back holding the VIP it had) the addresses go with the power: a power cut
      // takes the links down, a boot sets them afresh; without, eth0 keeps its address as before
      if (!lan) await runOk(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'brd', '10.251.0.255', 'dev', 'eth0'])
      const own = typeof opts.engineEnv === 'function' ? opts.engineEnv(name) : opts.engineEnv
      const env = Object.entries(own ?? {}).map(([k, v]) => `${k}=${v}`)
      const command = kind === 'heartbeat' ? HEARTBEAT_BOOT : ['env', ...env, process.execPath, bin('halo-heartbeat'), '-f']
      const vm = await virtualNode(scope, name, { netns: ns, dir, command, addresses: lan ? { eth0: `${address}/24`, eth1: `${mgmt}/24` } : {}, boot: false })
      const bmc = lan ? await startBmc(scope, { lan, address: bmcAddress, node: vm }) : undefined
      // also when the test process is killed: ipmi_sim names its directory
      if (bmc) atEnd(scope, reapArgv(bmc.dir))
      const node: HaloNode = {
        name,
        kind,
        address,
        netns: ns,
        dir,
        vm,
        bmc: bmc && lan ? { address: bmc.address, user: bmc.user, password: bmc.password, lan } : undefined,
        async boot() {
          if (vm.up) await vm.powerCut()
          await vm.boot()
          await (kind === 'heartbeat' ? heartbeatAnswers(vm) : engineAnswers(vm, bin('cl_status')))
        },
        running(r) {
          // powered off, the path is under /proc/0, which never exists
          return existsSync(vm.path(`/run/hbtest/${r}.running`))
        },
        hbtestLog() {
          const file = join(lib, 'hbtest/log')
          if (!existsSync(file)) return []
          return readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .map((l) => l.split(' '))
            .map(([ns, n, action]) => ({ ns: BigInt(ns), name: n, action }))
        },
        haLog: () => (existsSync(join(lib, 'ha-log')) ? readFileSync(join(lib, 'ha-log'), 'utf8') : ''),
        async cmd(cmdName, ...args) {
          const r = await vm.exec(kind === 'heartbeat' ? heartbeatCommand(cmdName, args) : [bin(cmdName), ...args])
          return r.stdout.trim()
        },
        async stop() {
          await vm.exec(kind === 'heartbeat' ? heartbeatCommand('halo-heartbeat', ['-k']) : [process.execPath, bin('halo-heartbeat'), '-k'], { timeout: 60_000 })
        },
        powerLog: () => vm.powerLog(),
        freeze: () => vm.freeze(),
        thaw: () => vm.thaw(),
      }
      return node
    }),
  ) as Promise<[HaloNode, HaloNode]>
}

/** Every hbtest resource of the default haresources, by the node that owns it. */
export const OWNED = { nodea: ['r1', 'r2'], nodeb: ['r3'] } as const
