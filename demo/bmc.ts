/**
 * A real BMC per virtual node, for fencing: OpenIPMI's ipmi_sim serving IPMI over LAN (UDP 623) on a
 * management LAN, its chassis power being the node's power switch (demo/node-power through ipmi_sim's
 * `chassis_control`): power off is a power cut of the node, power on boots it with its command, reset is
 * both. fence_ipmilan and cluster-glue's external/ipmi drive it as they drive a server's BMC. The recipe,
 * its measurements and the pitfalls are in the project's reference notes (fencing/README.md).
 *
 * The management LAN is a network namespace with a bridge (br0): each node plugs in its eth1, each BMC
 * has its own address on br0. One address per BMC, all on port 623, because external/ipmi has no port
 * parameter. The heartbeat media stay on the nodes' other links.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runOk, spawnDetached } from '../lib/exec.ts'
import { commandLine, isAlive } from '../lib/process.ts'
import { until } from '../lib/wait.ts'
import { NODE_POWER, type PowerEvent, type VirtualNode } from './node.ts'
import { type Scope, uniqueName } from './scope.ts'

/** IPMI's port, the only one cluster-glue's external/ipmi can reach */
const IPMI_PORT = 623
/** the management LAN's prefix length (addresses in 10.252.x.y by the lab's convention) */
const LAN_PREFIX = 24
const USER = 'admin'

/** Makes the network namespace `netns` a management LAN: a bridge (br0) nodes plug into and BMCs answer on. */
export async function managementLan(netns: string): Promise<void> {
  await runOk(['ip', '-n', netns, 'link', 'add', 'br0', 'type', 'bridge'])
  await runOk(['ip', '-n', netns, 'link', 'set', 'br0', 'up'])
}

/** Plugs a node's network namespace into the management LAN as `ifname`; the node sets its address at boot. */
export async function plugIn(lan: string, nodeNetns: string, ifname = 'eth1'): Promise<void> {
  const port = uniqueName('mgp')
  await runOk(['ip', 'link', 'add', ifname, 'netns', nodeNetns, 'type', 'veth', 'peer', 'name', port, 'netns', lan])
  await runOk(['ip', '-n', lan, 'link', 'set', port, 'master', 'br0', 'up'])
}

export interface BmcOptions {
  /** the management LAN's network namespace (see managementLan) */
  lan: string
  /** the BMC's IPv4 address on it, e.g. 10.252.0.101 (port 623) */
  address: string
  /** the node whose power it switches */
  node: VirtualNode
}

export interface Bmc {
  address: string
  /** the IPMI administrator, and its password: new for every BMC, only in its private lan.conf */
  user: string
  password: string
  /** ipmi_sim's pid */
  pid: number
  /** its private directory (lan.conf, state, log) */
  dir: string
  /** every switch of the node's power (by the BMC or the lab), in order */
  powerLog(): PowerEvent[]
}

/**
 * Starts ipmi_sim as `node`'s BMC, answering on `address`:623 in the management LAN; resolves once it
 * listens. Stopped at scope close (the node itself is powered off by its own teardown, registered before).
 */
export async function startBmc(scope: Scope, opts: BmcOptions): Promise<Bmc> {
  const { lan, address, node } = opts
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`BMC of ${node.name}: address '${address}' is not an IPv4 address`)
  // ipmi_sim runs chassis_control through a shell: these paths go into it as they are
  for (const path of [NODE_POWER, node.dir]) {
    if (!/^[\w./+-]+$/.test(path)) throw new Error(`BMC of ${node.name}: ${path} cannot go into lan.conf (only letters, digits and _ . / + -)`)
  }
  const dir = mkdtempSync(join(tmpdir(), `halo-bmc-${node.name}-`))
  const password = randomBytes(8).toString('hex') // IPMI 1.5 passwords are 16 bytes at most
  const conf = join(dir, 'lan.conf')
  writeFileSync(conf, lanConf(node, address, password), { mode: 0o600 })
  writeFileSync(join(dir, 'bmc.emu'), BMC_EMU)
  // a fresh state directory: what ipmi_sim persists (users, LAN settings) overrides lan.conf
  mkdirSync(join(dir, 'state'))
  await runOk(['ip', '-n', lan, 'addr', 'add', `${address}/${LAN_PREFIX}`, 'dev', 'br0'])
  // its output, start-up errors included (afterwards it logs to syslog)
  const log = openSync(join(dir, 'ipmi_sim.log'), 'a', 0o600)
  const pid = spawnDetached(['ip', 'netns', 'exec', lan, 'ipmi_sim', '-c', conf, '-f', join(dir, 'bmc.emu'), '-s', join(dir, 'state'), '-n'], { stdout: log })
  closeSync(log)
  scope.teardown(() => {
    stop(pid)
    rmSync(dir, { recursive: true, force: true })
  })
  await until(`the BMC of ${node.name} to answer on ${address}:${IPMI_PORT}`, () => {
    if (!isAlive(pid)) throw new Error(`the BMC of ${node.name} (ipmi_sim) exited at start: ${readFileSync(join(dir, 'ipmi_sim.log'), 'utf8').trim()}`)
    return listening(pid, address)
  })
  return { address, user: USER, password, pid, dir, powerLog: () => node.powerLog() }
}

/** ipmi_sim's configuration: one BMC, its LAN channel, its chassis power = node-power on that node */
function lanConf(node: VirtualNode, address: string, password: string): string {
  return `# the BMC of virtual node ${node.name}
name "bmc-${node.name}"
set_working_mc 0x20
  startlan 1
    addr ${address} ${IPMI_PORT}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid ${randomBytes(16).toString('hex')}
  endlan
  # power status, on, off, reset and cycle: ipmi_sim runs this with "get power", "set power 0"…
  chassis_control "${NODE_POWER} chassis ${node.dir}"
  user 2 true "${USER}" "${password}" admin 10 md5
`
}

/** ipmi_sim's start-up commands: the BMC itself as a management controller */
const BMC_EMU = `mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
`

/** whether the process has a UDP socket on address:623 (its network namespace's /proc/net/udp) */
function listening(pid: number, address: string): boolean {
  // /proc/net/udp writes the IPv4 address as the hex of its little-endian word
  const local = `${address
    .split('.')
    .reverse()
    .map((n) => Number(n).toString(16).padStart(2, '0'))
    .join('')}:${IPMI_PORT.toString(16).padStart(4, '0')}`.toUpperCase()
  try {
    return readFileSync(`/proc/${pid}/net/udp`, 'utf8')
      .split('\n')
      .some((line) => line.trim().split(/\s+/)[1] === local)
  } catch {
    return false
  }
}

/** KILL, and (synchronously, so it also works from an exit handler) its end, 5 s at most */
function stop(pid: number): void {
  // gone already, and its pid maybe someone else's by now
  if (commandLine(pid)?.[0] !== 'ipmi_sim') return
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (let i = 0; i < 500 && isAlive(pid); i++) Atomics.wait(pause, 0, 0, 10)
}
