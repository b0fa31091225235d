/**
 * What starts at boot outside the cluster, read as systemctl reads it: a unit is enabled when a
 * `*.wants/` (or `*.requires/`) folder of /etc/systemd/system links it. The cluster starts MariaDB, the
 * application server's init script and mon itself; heartbeat, pacemaker and corosync are another cluster
 * stack on the same node (two engines on udp/694).
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Findings } from './findings.ts'
/**
 * Units a cluster node must not start at boot: the cluster starts them (MariaDB, also by its socket, and
 * mon), or they are another cluster stack (heartbeat, pacemaker, corosync, cluster-glue's logd). One list,
 * also read by install.sh, which disables those its packages enabled.
 */
import CLUSTER_OWNED from './cluster-owned.json' with { type: 'json' }
const OTHER_STACKS: Record<string, string> = {
  'heartbeat.service': 'halo-heartbeat.service',
  'mon.service': 'halo-mon.service',
  'pacemaker.service': 'halo-heartbeat.service',
  'corosync.service': 'halo-heartbeat.service',
}

/** The units enabled at boot under root (/ on a node), by their links in the targets' .wants folders. */
function enabledAtBoot(root: string): Set<string> {
  const dir = join(root, 'etc/systemd/system')
  const enabled = new Set<string>()
  if (!existsSync(dir)) return enabled
  for (const sub of readdirSync(dir).filter((d) => d.endsWith('.wants') || d.endsWith('.requires'))) {
    for (const unit of readdirSync(join(dir, sub))) enabled.add(unit)
  }
  return enabled
}

/** `services`: the init scripts haresources runs (the engine starts them; their units must not). */
export function checkBoot(f: Findings, root: string, services: readonly string[], haresources: string): void {
  const enabled = enabledAtBoot(root)
  const at = join(root, 'etc/systemd/system')
  for (const unit of [...new Set([...CLUSTER_OWNED, ...services.map((s) => `${s}.service`)])]) {
    if (!enabled.has(unit)) continue
    const halo = OTHER_STACKS[unit]
    if (halo && enabled.has(halo)) {
      f.error(at, 0, `${unit} is enabled at boot beside ${halo}: both would run on this node; disable it with: systemctl disable ${unit}`)
    } else {
      const who = services.includes(unit.replace(/\.service$/, '')) ? `haresources starts it: ${haresources}` : 'the cluster starts it, or it is another cluster stack'
      f.warn(at, 0, `${unit} is enabled at boot, outside the cluster (${who}): disable it with: systemctl disable ${unit}`)
    }
  }
}
