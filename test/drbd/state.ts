/**
 * The test double's DRBD: each resource's state in <state>/<res>.json, shared by the doubles of both nodes,
 * and each node's /proc/drbd in <state>/<node>.proc, rewritten after every change.
 * What happens on a change follows DRBD: two nodes that are up, not StandAlone, with the link up, connect;
 * on connecting, data written on both sides while apart (both were Primary) is a split brain and both go
 * StandAlone; otherwise the side with older data is resynchronised (at once, here).
 * Apart, each node knows of its peer's disk only what its fence-peer handler told it (pdsk), as DRBD does.
 */
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface NodeState {
  up: boolean
  role: 'Primary' | 'Secondary'
  disk: string
  /** processes holding the device open (a mount) */
  open: number
  standalone: boolean
  /** was Primary while not connected: has writes the peer lacks */
  diverged: boolean
  /** connect --discard-my-data: this side loses the split brain */
  discard: boolean
  /** while apart: the peer's disk as this node's fence-peer handler reported it (Outdated, Inconsistent) */
  pdsk?: string
}

export interface Resource {
  name: string
  minor: number
  /** the network between the two nodes */
  link: boolean
  connected: boolean
  /** resync progress shown while a side is Inconsistent */
  synced?: number
  nodes: Record<string, NodeState>
}

export interface Node {
  name: string
  version: '9' | '8.4'
  /** the kernel module is there */
  module: boolean
}

export interface Cluster {
  dir: string
  nodes: Record<string, Node>
}

const file = (dir: string, name: string) => join(dir, `${name}.json`)

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.${process.pid}`, text)
  renameSync(`${path}.${process.pid}`, path)
}

export function loadCluster(dir: string): Cluster {
  return { dir, nodes: JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8')) as Record<string, Node> }
}

export function saveCluster(c: Cluster): void {
  writeAtomically(join(c.dir, 'nodes.json'), JSON.stringify(c.nodes))
  for (const node of Object.values(c.nodes)) writeProc(c, node)
}

export function newResource(name: string, minor: number, nodes: readonly string[]): Resource {
  const node = (): NodeState => ({ up: false, role: 'Secondary', disk: 'UpToDate', open: 0, standalone: false, diverged: false, discard: false })
  return { name, minor, link: true, connected: false, nodes: Object.fromEntries(nodes.map((n) => [n, node()])) }
}

export function loadResource(c: Cluster, name: string): Resource | undefined {
  try {
    return JSON.parse(readFileSync(file(c.dir, name), 'utf8')) as Resource
  } catch {
    return undefined
  }
}

export function saveResource(c: Cluster, r: Resource): void {
  settle(r)
  writeAtomically(file(c.dir, r.name), JSON.stringify(r, null, 1))
  for (const node of Object.values(c.nodes)) writeProc(c, node)
}

const peerOf = (r: Resource, node: string) => Object.keys(r.nodes).find((n) => n !== node)!

function settle(r: Resource): void {
  const [a, b] = Object.values(r.nodes)
  const canConnect = r.link && a.up && b.up && !a.standalone && !b.standalone
  if (canConnect && !r.connected) {
    if (a.diverged && b.diverged && !a.discard && !b.discard) {
      a.standalone = b.standalone = true // "Split-Brain detected, dropping connection!"
    } else {
      r.connected = true
      const loser = a.discard || (b.diverged && !a.diverged) || (a.disk !== 'UpToDate' && b.disk === 'UpToDate') ? a : b
      const winner = loser === a ? b : a
      if (winner.disk === 'UpToDate' && loser.disk !== 'Diskless') loser.disk = 'UpToDate'
      for (const n of [a, b]) {
        n.diverged = n.discard = false
        delete n.pdsk
      }
    }
  }
  if (!canConnect) r.connected = false
  for (const n of [a, b]) if (n.up && n.role === 'Primary' && !r.connected) n.diverged = true
}

/** What one node sees of a resource. */
export interface View {
  up: boolean
  role: string
  peerRole: string
  cstate: string
  disk: string
  peerDisk: string
  open: number
}

export function view(c: Cluster, r: Resource, node: string): View {
  const me = r.nodes[node]
  const peer = r.nodes[peerOf(r, node)]
  const waiting = c.nodes[node].version === '9' ? 'Connecting' : 'WFConnection'
  return {
    up: me.up,
    role: me.role,
    peerRole: r.connected ? peer.role : 'Unknown',
    cstate: me.standalone ? 'StandAlone' : r.connected ? 'Connected' : waiting,
    disk: me.disk,
    peerDisk: r.connected ? peer.disk : (me.pdsk ?? 'DUnknown'),
    open: me.open,
  }
}

export function resources(c: Cluster): Resource[] {
  const names = readdirSync(c.dir).filter((f) => f.endsWith('.json') && f !== 'nodes.json').map((f) => f.slice(0, -5))
  return names.map((n) => loadResource(c, n)).filter((r): r is Resource => r !== undefined)
}

export const procPath = (c: Cluster, node: string) => join(c.dir, `${node}.proc`)

/** /proc/drbd as DRBD 9.2 and 8.4.11 write it; absent without the module. */
function writeProc(c: Cluster, node: Node): void {
  const path = procPath(c, node.name)
  if (!node.module) {
    rmSync(path, { force: true })
    return
  }
  if (node.version === '9') {
    writeAtomically(path, 'version: 9.2.0 (api:2/proto:86-121)\nGIT-hash: 71e60591f3d7ea05034bccef8ae362c17e6aa4d1 build by @buildd, 2023-01-09 14:51:18\nTransports (api:18): tcp (9.2.0)\n')
    return
  }
  // reference/drbd/README.md: "version: 8.4.11 (api:1/proto:86-101)" then " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----"
  const lines = ['version: 8.4.11 (api:1/proto:86-101)', 'srcversion: FC3433D849E3B88C1E7B55C']
  for (const r of resources(c)) {
    const v = view(c, r, node.name)
    if (!v.up) continue
    lines.push(` ${r.minor}: cs:${v.cstate} ro:${v.role}/${v.peerRole} ds:${v.disk}/${v.peerDisk} C r-----`)
    lines.push('    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0')
  }
  writeAtomically(path, `${lines.join('\n')}\n`)
}
