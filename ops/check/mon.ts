/**
 * mon.cf (and the auth.cf it needs) through halo-mon's own reading, its monitors and alerts found and
 * executable, and the group's service ports watched on its virtual IP: a service that stops answering
 * must move the group, and only mon.cf makes it so.
 */
import { readHaresources, type Resource } from '../../ha.d/config/haresources.ts'
import type { Settings } from '../../ha.d/settings.ts'
import { loadConfig } from '../../mon/config/load.ts'
import { missingPrograms } from '../../mon/programs.ts'
import type { MonConfig } from '../../mon/types.ts'
import type { Findings } from './findings.ts'

export async function checkMonCf(f: Findings, path: string): Promise<MonConfig | undefined> {
  const config = await f.readAsync(() => loadConfig(path, {}, (w) => f.warning(w)))
  if (config) missingPrograms(config).forEach((w) => f.warning(w))
  return config
}

/**
 * The ports each group serves, as its resources' arguments say: the application server's list
 * (appserver::INIT::PIDFILE::PORT,PORT), MariaDB's 3306; on each of the group's addresses (IPaddr).
 */
export function checkWatchedPorts(f: Findings, settings: Settings, mon: MonConfig, monCf: string, haresources: string): void {
  for (const group of readHaresources(haresources, settings.config.nodes)) {
    const vips = group.resources.filter((r) => r.script === 'IPaddr' || r.script === 'IPaddr2').map((r) => r.args[0]?.split('/')[0]).filter(Boolean)
    const ports = group.resources.flatMap(servicePorts)
    for (const vip of vips) {
      for (const { port, resource } of ports) {
        if (watched(mon, vip, port)) continue
        f.warn(
          haresources, group.line,
          `${resource}: port ${port} on ${vip} is watched by no service of ${monCf}: a server that stops answering there moves nothing; add a service with monitor tcp.monitor -p ${port} to a watch of ${vip}`,
        )
      }
    }
  }
}

function servicePorts(r: Resource): { port: number; resource: string }[] {
  if (r.script === 'appserver') return (r.args[2] ?? '').split(',').filter(Boolean).map((p) => ({ port: Number(p), resource: r.text }))
  if (r.script === 'mysqld' || r.script === 'mysql') return [{ port: 3306, resource: r.text }]
  return []
}

function watched(mon: MonConfig, vip: string, port: number): boolean {
  return mon.watches.some(
    (w) => w.hosts.includes(vip) && w.services.some((s) => s.monitor?.name === 'tcp.monitor' && s.monitor.args.some((a, i, all) => (a === '-p' && all[i + 1] === String(port)) || a === `-p${port}` || a === `--port=${port}`)),
  )
}
