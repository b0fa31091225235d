/**
 * The real Heartbeat 3.0.6 (Debian's package) in a virtual node, beside or instead of halo: how it is
 * started, which of its programs answer halo's command names, and what in its log betrays a peer that
 * does not speak its protocol. See ../../../shared/reference/heartbeat-wire/README.md.
 */
import { cpSync, lstatSync } from 'node:fs'
import { join } from 'node:path'
import { spawnDetached } from '../../lib/exec.ts'
import type { VirtualNode } from './node.ts'
import { until } from './wait.ts'

export const HEARTBEAT = '/usr/libexec/heartbeat/heartbeat'

/** Heartbeat's programs by the names halo gives its own. */
const programs: Record<string, string> = {
  'halo-heartbeat': HEARTBEAT,
  hb_standby: '/usr/share/heartbeat/hb_standby',
  hb_takeover: '/usr/share/heartbeat/hb_takeover',
  cl_status: '/usr/bin/cl_status',
}

/** argv for halo's command `name` on a real Heartbeat node. */
export function heartbeatCommand(name: string, args: readonly string[]): string[] {
  const program = programs[name]
  if (!program) throw new Error(`${name}: no such command on a Heartbeat node`)
  return [program, ...args]
}

/**
 * Starts heartbeat -f in a freshly booted node; resolves once its API answers cl_status. The node's own
 * /etc/ha.d gets what the package put in the real one (harc, shellfuncs, rc.d, the v1 resource scripts),
 * without overwriting the node's files, since ResourceManager and the rc.d hooks need them.
 */
export async function startHeartbeat(vm: VirtualNode): Promise<void> {
  const etc = join(vm.dir, 'etc/ha.d')
  for (const item of ['harc', 'shellfuncs', 'rc.d', 'resource.d']) {
    // links in the host's resource.d point at whatever is installed there, not at what the test runs
    cpSync(join('/etc/ha.d', item), join(etc, item), { recursive: true, force: false, filter: (src) => !lstatSync(src).isSymbolicLink() })
  }
  await vm.exec(['mkdir', '-p', '/var/lib/heartbeat/cores/hacluster', '/var/lib/heartbeat/cores/root'])
  await vm.exec(['chown', 'hacluster', '/var/lib/heartbeat/cores/hacluster'])
  // its API sockets live in /run/heartbeat, which the daemon's clients (hacluster) must be able to enter
  await vm.exec(['chown', 'hacluster:haclient', '/run/heartbeat'])
  await vm.exec(['chmod', '750', '/run/heartbeat'])
  spawnDetached(vm.enter([HEARTBEAT, '-f']))
  await until(`${vm.name}'s heartbeat to answer`, async () => (await vm.exec(['cl_status', 'hbstatus'])).code === 0, 15_000)
}

/**
 * What in a Heartbeat log betrays a peer that does not speak its protocol: an authentication failure
 * ("netstring authentication failed", "authtoken does not match"), a drop (should_drop_message: replay,
 * bad sequence, generation or timestamp), a late heartbeat, or any other ERROR but the ones a node in a
 * test always logs.
 */
const trouble = [/authenticat/i, /replay/i, /should_drop_message/, /Late heartbeat/, /bad (node|message|packet)/i, /rexmit seqnos|corrupted ackseq/i, /\bERROR:/, /\bCRIT:/]
/** ERRORs of a healthy node in a test: no memory lock in a container. */
const harmless = [/Cannot lock ourselves into memory/]

/** The lines of a Heartbeat log that point at its peer's packets (empty when all is well). */
export function logTrouble(log: string, ignore: readonly RegExp[] = []): string[] {
  return log.split('\n').filter((line) => trouble.some((re) => re.test(line)) && ![...harmless, ...ignore].some((re) => re.test(line)))
}
