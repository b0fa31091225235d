/**
 * The real Heartbeat 3.0.6 (Debian's package) in a virtual node: how it is started and which of its
 * programs answer halo's command names. Shared by the lab's cluster (demo/hbtest/cluster.ts), the interop
 * tests and the stack's Heartbeat variant (demo/stack.ts).
 */
import { cpSync, lstatSync } from 'node:fs'
import { join } from 'node:path'
import { until } from '../lib/wait.ts'
import type { VirtualNode } from './node.ts'

const HEARTBEAT = '/usr/libexec/heartbeat/heartbeat'

/** Heartbeat's programs by the names halo gives its own. */
export const HEARTBEAT_PROGRAMS: Readonly<Record<string, string>> = {
  'halo-heartbeat': HEARTBEAT,
  hb_standby: '/usr/share/heartbeat/hb_standby',
  hb_takeover: '/usr/share/heartbeat/hb_takeover',
  cl_status: '/usr/bin/cl_status',
}

/** argv for halo's command `name` on a real Heartbeat node. */
export function heartbeatCommand(name: string, args: readonly string[]): string[] {
  const program = HEARTBEAT_PROGRAMS[name]
  if (!program) throw new Error(`${name}: no such command on a Heartbeat node`)
  return [program, ...args]
}

/**
 * Puts what the package put in the real /etc/ha.d (harc, shellfuncs, rc.d, the v1 resource scripts) into
 * the node's own (DIR/etc/ha.d), without overwriting the node's files: ResourceManager and the rc.d hooks
 * need them.
 */
export function installHeartbeatFiles(dir: string): void {
  const etc = join(dir, 'etc/ha.d')
  for (const item of ['harc', 'shellfuncs', 'rc.d', 'resource.d']) {
    // links in the host's resource.d point at whatever is installed there, not at what the node runs
    cpSync(join('/etc/ha.d', item), join(etc, item), { recursive: true, force: false, filter: (src) => !lstatSync(src).isSymbolicLink() })
  }
}

/**
 * argv that runs heartbeat -f in a node, after what a machine's boot gives it: the cores folders, its API
 * sockets' folder /run/heartbeat open to its clients (hacluster), and what systemd-tmpfiles makes from
 * resource-agents' tmpfiles.d (IPaddr's state: send_arp pids). Run once booted, or as the node's command.
 */
export const HEARTBEAT_BOOT: readonly string[] = [
  'bash',
  '-c',
  `set -e
mkdir -p /var/lib/heartbeat/cores/hacluster /var/lib/heartbeat/cores/root
chown hacluster /var/lib/heartbeat/cores/hacluster
chown hacluster:haclient /run/heartbeat
chmod 750 /run/heartbeat
mkdir -p -m 1755 /run/resource-agents
exec ${HEARTBEAT} -f`,
  'heartbeat',
]

/** Resolves once the engine of the node (halo's or Heartbeat's, whose cl_status is given) answers `cl_status hbstatus`. */
export async function engineAnswers(vm: VirtualNode, clStatus: string): Promise<void> {
  await until(`${vm.name}'s engine to answer`, async () => (await vm.exec([clStatus, 'hbstatus'])).code === 0, 15_000)
}

/** Resolves once heartbeat's API answers cl_status in the node. */
export const heartbeatAnswers = (vm: VirtualNode): Promise<void> => engineAnswers(vm, HEARTBEAT_PROGRAMS.cl_status)
