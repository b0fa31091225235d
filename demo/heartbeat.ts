/**
 * The real Heartbeat 3.0.6 (Debian's package) in a virtual node: how it is started and which of its
 * programs answer halo's command names. Shared by the interop tests (test/harness/heartbeat.ts) and the
 * stack's Heartbeat variant (demo/stack.ts).
 */
import { cpSync, lstatSync } from 'node:fs'
import { join } from 'node:path'
import { spawnDetached } from '../lib/exec.ts'
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

/**
 * Starts heartbeat -f in a freshly booted node; resolves once its
 * API answers cl_status. The node's own /etc/ha.d gets what the package put in the real one (harc,
 * shellfuncs, rc.d, the v1 resource scripts), without overwriting the node's files, since
 * ResourceManager and the rc.d hooks need them. `env` is the daemon's (and so every script's).
 */
export async function startHeartbeat(vm: VirtualNode, env?: NodeJS.ProcessEnv): Promise<void> {
  const etc = join(vm.dir, 'etc/ha.d')
  for (const item of ['harc', 'shellfuncs', 'rc.d', 'resource.d']) {
    // links in the host's resource.d point at whatever is installed there, not at what the node runs
    cpSync(join('/etc/ha.d', item), join(etc, item), { recursive: true, force: false, filter: (src) => !lstatSync(src).isSymbolicLink() })
  }
  await vm.exec(['mkdir', '-p', '/var/lib/heartbeat/cores/hacluster', '/var/lib/heartbeat/cores/root'])
  await vm.exec(['chown', 'hacluster', '/var/lib/heartbeat/cores/hacluster'])
  // its API sockets live in /run/heartbeat, which the daemon's clients (hacluster) must be able to enter
  await vm.exec(['chown', 'hacluster:haclient', '/run/heartbeat'])
  await vm.exec(['chmod', '750', '/run/heartbeat'])
  // what systemd-tmpfiles makes at boot from resource-agents' tmpfiles.d: IPaddr's state (send_arp pids)
  await vm.exec(['mkdir', '-p', '-m', '1755', '/run/resource-agents'])
  spawnDetached(vm.enter([HEARTBEAT, '-f']), { env })
  await until(`${vm.name}'s heartbeat to answer`, async () => (await vm.exec([HEARTBEAT_PROGRAMS.cl_status, 'hbstatus'])).code === 0, 15_000)
}
