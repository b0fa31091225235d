/**
 * What the conversion needs of DRBD's resource files (/etc/drbd.d/*.res): each resource's nodes (its `on`
 * sections: the clone runs there only) and their addresses (a hint for a link ha.cf names by interface
 * only), and the fence-peer handler: halo's drbd-peer-outdater asks the peer over Heartbeat, which is gone
 * under Pacemaker, where DRBD's own crm-fence-peer.9.sh does that job. Only these statements are read, by
 * line (drbdadm reads the whole file).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NotConverted } from './model.ts'

export interface DrbdConf {
  /** resource → its nodes */
  hosts: Map<string, string[]>
  /** node → its address in the first resource that gives one */
  addresses: Map<string, string>
  notConverted: NotConverted[]
}

export function readDrbdConf(dir: string): DrbdConf {
  const conf: DrbdConf = { hosts: new Map(), addresses: new Map(), notConverted: [] }
  if (!existsSync(dir)) return conf
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.res')).sort()) {
    const file = join(dir, name)
    let resource: string | undefined
    for (const [i, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
      const text = raw.replace(/#.*/, '')
      const res = /^\s*resource\s+(\S+)\s*\{/.exec(text)
      if (res) {
        resource = res[1]
        conf.hosts.set(resource, [])
      }
      const on = /(?:^|[\s{;])on\s+(\S+)\s*\{(?:[^}]*?\saddress\s+(?:ipv4\s+)?([0-9.]+):\d+)?/.exec(text)
      if (on && resource) {
        conf.hosts.get(resource)!.push(on[1].toLowerCase())
        if (on[2] && !conf.addresses.has(on[1].toLowerCase())) conf.addresses.set(on[1].toLowerCase(), on[2])
      }
      if (/fence-peer\s+"[^"]*drbd-peer-outdater/.test(text)) {
        conf.notConverted.push({
          file,
          line: i + 1,
          reason: 'fence-peer drbd-peer-outdater asks the peer through Heartbeat, which Pacemaker replaces: use DRBD\'s handlers for Pacemaker, fence-peer "/usr/lib/drbd/crm-fence-peer.9.sh" and unfence-peer "/usr/lib/drbd/crm-unfence-peer.9.sh" (fencing resource-and-stonith once the cluster has fence devices)',
        })
      }
    }
  }
  return conf
}
