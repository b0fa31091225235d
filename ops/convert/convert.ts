/**
 * halo convert's library: a v1 pair's files (ha.cf, haresources, authkeys, fence.cf, recovery.cf, and mon.cf and DRBD's
 * resource files when present) as what an admin runs on a Corosync + Pacemaker cluster: corosync.conf, the
 * resources (a CIB, pcs commands or crm shell) and the list of what was not converted, each with its
 * file:line and why. It changes nothing: it reads, and returns text.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseAuthKeys } from '../../ha.d/config/authkeys.ts'
import { type HaCf, readHaCf } from '../../ha.d/config/hacf.ts'
import { readHaresources } from '../../ha.d/config/haresources.ts'
import { readRecoveryCf } from '../../ha.d/config/recovery.ts'
import { parseFenceCf } from '../../ha.d/fence-cf.ts'
import { configLines, readConfigFile } from '../../lib/config/lines.ts'
import { UsageError } from '../../lib/errors.ts'
import { readMonCf } from '../../mon/config/moncf.ts'
import { Agents } from './agents.ts'
import { cibXml } from './cib.ts'
import { corosyncConf } from './corosync.ts'
import { crmScript } from './crm.ts'
import { readDrbdConf } from './drbd.ts'
import { convertFencing } from './fencing.ts'
import type { Cluster, NotConverted, Pairs } from './model.ts'
import { convertMonCf } from './mon.ts'
import { pcsScript } from './pcs.ts'
import { convertPing } from './ping.ts'
import { convertGroups, PREFERRED_SCORE } from './resources.ts'

export type Target = 'pcs' | 'crm' | 'cib'
const resourceFile: Record<Target, string> = { cib: 'cib.xml', pcs: 'resources.pcs', crm: 'resources.crm' }

export interface ConvertOptions {
  confDir: string
  to: Target
  /** the new cluster's nodes; default ha.cf's node lines */
  nodes?: string[]
  /** DRBD's resource files (default <root>/etc/drbd.d) */
  drbdConf?: string
  /** mon.cf (default <root>/etc/mon/mon.cf when there is one) */
  monCf?: string
  /** where /etc/init.d, /etc/drbd.d and /etc/mon are ('/' but in tests) */
  root: string
  /** halo's agents */
  agentsDir: string
}

export interface Converted {
  cluster: Cluster
  corosync: string
  /** the resources, in the form asked for, and the file name they go in */
  resources: { file: string; text: string }
  notConverted: NotConverted[]
}

const nodeName = /^[a-z0-9][a-z0-9.-]*$/

export async function convert(o: ConvertOptions): Promise<Converted> {
  const hacfPath = join(o.confDir, 'ha.cf')
  const hacf = readHaCf(hacfPath, firstNode(hacfPath))
  const nodes = o.nodes ?? hacf.nodes
  for (const n of nodes) if (!nodeName.test(n)) throw new UsageError(`--nodes: "${n}" is not a node name (lowercase letters, digits, dots and dashes)`)
  if (new Set(nodes).size !== nodes.length) throw new UsageError(`--nodes: a node is named twice (${nodes.join(',')})`)
  const haresources = join(o.confDir, 'haresources')
  const groups = readHaresources(haresources, hacf.nodes)
  for (const g of groups) {
    if (!nodes.includes(g.node)) throw new UsageError(`--nodes: ${g.node} is missing: ${haresources}:${g.line} prefers it for ${g.key}; name every node that keeps a group`)
  }
  const authFile = join(o.confDir, 'authkeys')
  const authText = readConfigFile(authFile)
  const auth = parseAuthKeys(authText, authFile)
  const authLine = configLines(authText, 'line').find((l) => l.text.split(/\s+/)[0] === String(auth.use.index))?.no ?? 0
  const fenceCfPath = join(o.confDir, 'fence.cf')
  const fenceCf = existsSync(fenceCfPath) ? parseFenceCf(readConfigFile(fenceCfPath), fenceCfPath, hacf.nodes) : undefined
  const drbd = readDrbdConf(o.drbdConf ?? join(o.root, 'etc/drbd.d'))
  const monPath = o.monCf ?? [join(o.root, 'etc/mon/mon.cf')].find((p) => existsSync(p))
  const mon = monPath === undefined ? undefined : (await readMonCf(monPath)).config

  const agents = new Agents(o.agentsDir, join(o.confDir, 'resource.d'))
  const converted = await convertGroups({ groups, file: haresources, confDir: o.confDir, root: o.root, agents, drbdHosts: drbd.hosts, nodes })
  const fencing = await convertFencing(hacf.stonith, hacf.file, fenceCf, nodes)
  const ping = await convertPing(hacf, converted.groups)
  const monitors = mon ? convertMonCf(mon, converted.groups, { haresources: groups, policy: readRecoveryCf(o.confDir, groups) }) : []
  const corosync = corosyncConf({ hacf, nodes, auth, authFile, authLine, drbdAddresses: drbd.addresses })

  const properties: Pairs = [['stonith-enabled', fencing.primitives.length ? 'true' : 'false']]
  const notConverted: NotConverted[] = []
  if (!fencing.primitives.length) {
    notConverted.push({ file: hacf.file, line: 0, reason: 'no fencing (no stonith or stonith_host line, no fence.cf device): written with stonith-enabled=false, as the v1 cluster ran; Pacemaker then cannot recover a lost node\'s resources safely (DRBD could be Primary twice): add a fence device (pcs stonith create) and set stonith-enabled=true' })
  }
  const rscDefaults: Pairs = [['resource-stickiness', stickiness(hacf, notConverted)]]
  const cluster: Cluster = {
    nodes,
    primitives: fencing.primitives,
    groups: converted.groups,
    clones: [...converted.clones, ...ping.clones],
    constraints: [...converted.constraints, ...ping.constraints, ...fencing.constraints],
    properties,
    rscDefaults,
  }
  const recoveryCf = join(o.confDir, 'recovery.cf')
  notConverted.push(...corosync.notConverted, ...converted.notConverted, ...fencing.notConverted, ...ping.notConverted, ...monitors, ...drbd.notConverted, ...engineChecks(recoveryCf))
  // file by file, line by line, as the admin goes through them
  const order = [hacf.file, authFile, haresources, fenceCfPath, recoveryCf, monPath]
  const rank = (file: string) => (order.indexOf(file) + order.length + 1) % (order.length + 1)
  notConverted.sort((a, b) => rank(a.file) - rank(b.file) || a.file.localeCompare(b.file) || a.line - b.line)
  const text = o.to === 'cib' ? cibXml(cluster) : o.to === 'pcs' ? pcsScript(cluster) : crmScript(cluster)
  return { cluster, corosync: corosync.text, resources: { file: resourceFile[o.to], text }, notConverted }
}

/** recovery.cf's checks the engine itself runs (monitor=, watch=): Pacemaker's are the resource's op monitor */
function engineChecks(file: string): NotConverted[] {
  if (!existsSync(file)) return []
  const why = {
    monitor: 'the engine\'s own status check: give the resource an op monitor with that interval (pcs resource op add RESOURCE monitor interval=…)',
    watch: 'the engine\'s watch of the pid file\'s process has no Pacemaker equivalent: the resource\'s op monitor interval is how soon a crash is seen',
  }
  return configLines(readConfigFile(file), 'anywhere').flatMap(({ no, text }) =>
    text
      .split(/\s+/)
      .slice(1)
      .map((pair) => pair.split('=')[0])
      .filter((key): key is keyof typeof why => key === 'monitor' || key === 'watch')
      .map((key) => ({ file, line: no, reason: `${text.split(/\s+/)[0]} ${key}=: ${why[key]}` })),
  )
}

/**
 * auto_failback off: a group stays where it runs (stickiness above the preferred node's score); on: it
 * goes back (no stickiness). legacy is Heartbeat's old default, which behaves as on in a cluster of nodes
 * that all know auto_failback.
 */
function stickiness(hacf: HaCf, notConverted: NotConverted[]): string {
  const line = hacf.lines.get('auto_failback') ?? hacf.lines.get('nice_failback') ?? 0
  if (hacf.autoFailback === 'off') return String(2 * PREFERRED_SCORE)
  if (hacf.autoFailback === 'legacy') notConverted.push({ file: hacf.file, line, reason: 'auto_failback legacy: carried over as on (groups go back to their preferred node: resource-stickiness 0)' })
  return '0'
}

/** the node ha.cf is read as: its first node line (the conversion is the same on every node) */
function firstNode(path: string): string {
  for (const { text } of configLines(readConfigFile(path), 'anywhere')) {
    const [word, value] = text.split(/[\s,]+/)
    if (word === 'node' && value) return value
  }
  return ''
}

