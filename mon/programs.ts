/**
 * The monitors and alerts mon.cf names that are not in mondir or alertdir, found when the file is read (as
 * mon does at its start and at each reset), so the admin learns of a typo at once, not when the service
 * first fails. mon logs them and starts anyway; so does halo-mon. The built-in tcp.monitor needs no file.
 */
import { findExecutable } from '../lib/which.ts'
import type { MonConfig } from './types.ts'

interface Use {
  kind: 'monitor' | 'alert'
  name: string
  where: string[]
  at: string
}

/** One line per missing program (the services that use it, the first place it is named), in the file's order. */
export function missingPrograms(config: MonConfig): string[] {
  const { mondir, alertdir } = config.globals
  const uses = new Map<string, Use>()
  const use = (kind: Use['kind'], name: string, where: string, file: string, line: number) => {
    const key = `${kind} ${name}`
    const known = uses.get(key)
    if (!known) uses.set(key, { kind, name, where: [where], at: `${file}:${line}` })
    else if (!known.where.includes(where)) known.where.push(where)
  }
  for (const watch of config.watches) {
    for (const svc of watch.services) {
      const where = `${watch.name}/${svc.name}`
      if (svc.monitor && svc.monitor.name !== 'tcp.monitor') use('monitor', svc.monitor.name, where, svc.file, svc.line)
      for (const p of svc.periods) {
        for (const alert of [...p.alert, ...p.upalert, ...p.startupalert, ...p.ackalert, ...p.disablealert]) use('alert', alert.name, where, p.file, p.line)
      }
    }
  }
  const said = { monitor: { dirs: mondir, then: 'cannot be checked', fix: 'mondir' }, alert: { dirs: alertdir, then: 'cannot send it', fix: 'alertdir' } }
  return [...uses.values()]
    .filter((u) => !findExecutable(u.name, said[u.kind].dirs))
    .map((u) => {
      const { dirs, then, fix } = said[u.kind]
      return `${u.at}: ${u.kind} ${u.name} not found in one of (${dirs.join(' ')}): ${u.where.join(', ')} ${then}; install it there, or correct ${fix} or the name`
    })
}
