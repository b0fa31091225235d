/**
 * DRBD's own timeouts against ha.cf's, from /etc/drbd.d/*.res when there are any: the fence-peer
 * handler's -t (seconds it waits for the peer's answer through the heartbeat link) must outlast deadtime,
 * or the handler gives up on a peer heartbeat has not yet declared dead; wfc-timeout 0 (DRBD's default)
 * stops a node's boot for as long as its peer is down. Only these few statements are looked at, by line
 * (drbdadm itself reads the whole file: test/examples checks the example with it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Settings } from '../../ha.d/settings.ts'
import type { Findings } from './findings.ts'

export function checkDrbd(f: Findings, settings: Settings, root: string): void {
  const dir = join(root, 'etc/drbd.d')
  if (!existsSync(dir)) return
  const { deadtime } = settings.config
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.res')).sort()) {
    const file = join(dir, name)
    const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/#.*/, ''))
    let wfc = false
    let fencingAt = 0
    let handler = false
    for (const [i, text] of lines.entries()) {
      const no = i + 1
      const wfcTimeout = /(?:^|[\s{;])wfc-timeout\s+(\d+)\s*;/.exec(text)
      if (wfcTimeout) {
        wfc = true
        if (Number(wfcTimeout[1]) === 0) f.warn(file, no, 'wfc-timeout 0: at boot this node waits for its peer forever, and never finishes booting while the peer is down; give it seconds (e.g. 30)')
      }
      if (/(?:^|[\s{;])fencing\s+resource-(?:only|and-stonith)\s*;/.test(text)) fencingAt = no
      const fencePeer = /(?:^|[\s{;])fence-peer\s+"([^"]*)"/.exec(text)
      if (fencePeer) {
        handler = true
        const t = /(?:^|\s)(?:-t|--timeout)(?:\s+|=)(\d+)/.exec(fencePeer[1])
        if (t && Number(t[1]) * 1000 <= deadtime) {
          f.warn(file, no, `fence-peer -t ${t[1]}: the handler gives up after ${t[1]} s, before heartbeat declares a silent peer dead (deadtime ${deadtime} ms): raise -t above deadtime`)
        }
      }
    }
    if (!wfc) f.warn(file, 0, 'no wfc-timeout: DRBD waits for the peer at boot forever (its default 0); add startup { wfc-timeout 30; degr-wfc-timeout 15; }')
    if (fencingAt && !handler) f.warn(file, fencingAt, 'fencing is set but no fence-peer handler: DRBD freezes I/O when the link breaks and nothing thaws it; add handlers { fence-peer "/usr/lib/halo/bin/drbd-peer-outdater -t 5"; }')
  }
}
