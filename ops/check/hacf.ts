/**
 * ha.cf, haresources, authkeys and fence.cf through the engine's own reading (loadSettings, then the host
 * checks it makes at start), and what no one parser sees alone: the timers together, fencing missing.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Settings } from '../../ha.d/settings.ts'
import { loadSettings } from '../../ha.d/settings.ts'
import { checkHost } from '../../ha.d/host-checks.ts'
import type { Findings } from './findings.ts'

export async function checkHaFiles(f: Findings, confDir: string): Promise<Settings | undefined> {
  // the engine's own reading: this node in ha.cf (uname -n or nodeinfo), authkeys' mode, every file:line
  const settings = f.read(() => loadSettings(confDir))
  if (!settings) return undefined
  settings.warnings.forEach((w) => f.warning(w))
  const host = await checkHost(settings.hacf)
  for (const e of host.errors) f.error(e.file, e.line, e.why)
  host.warnings.forEach((w) => f.warning(w))
  checkTimers(f, settings)
  checkFencing(f, settings, confDir)
  return settings
}

/** ha.cf's parser refuses deadtime <= 2 × keepalive and initdead < deadtime; these start, but badly. */
function checkTimers(f: Findings, { hacf }: Settings): void {
  const { keepalive, deadtime, warntime, initdead } = hacf
  const at = (name: string) => lineOf(hacf, name)
  if (warntime >= deadtime) {
    f.warn(hacf.file, at('warntime'), `warntime (${warntime} ms) is not less than deadtime (${deadtime} ms): a late heartbeat is never warned of before the peer is declared dead; lower warntime`)
  } else if (warntime <= keepalive) {
    f.warn(hacf.file, at('warntime'), `warntime (${warntime} ms) is not more than keepalive (${keepalive} ms): every heartbeat that is a little late is logged as late; raise warntime`)
  }
  // Heartbeat's documentation: initdead at least twice deadtime, for the network to come up at boot
  if (initdead < 2 * deadtime) {
    f.warn(hacf.file, at('initdead'), `initdead (${initdead} ms) is less than twice deadtime (${deadtime} ms): at boot the peer may be declared dead before the network is up; raise initdead`)
  }
}

function checkFencing(f: Findings, { hacf, fencing }: Settings, confDir: string): void {
  const devices = fencing.fenceCf?.devices.length ?? 0
  if (hacf.stonith.length > 0 || devices > 0) return
  const fenceCf = join(confDir, 'fence.cf')
  f.warn(
    hacf.file, 0,
    `no fencing: no stonith or stonith_host line${existsSync(fenceCf) ? `, and no device line in ${fenceCf}` : ` and no ${fenceCf}`}: ` +
      'a node that is only cut off (not dead) keeps its group while the other takes it, and both write the disk; add a stonith_host line or a fence.cf device for each node',
  )
}

/** the line a timer was set on (0 when it is the default): ha.cf records each directive's value, not its line */
function lineOf(hacf: Settings['hacf'], name: string): number {
  return hacf.lines.get(name) ?? 0
}
