/**
 * Two DRBD nodes for a test: alpha and beta (or the names given), each with its own drbdadm/drbdsetup
 * double and /proc/drbd, sharing one state directory, so one test can play both sides of resource r0
 * (minor 0). The replication link is a flag of r0's state: cutLink() pulls it as a cable is pulled, and
 * each node's DRBD notices (a Primary under fencing calls its fence-peer handler, on that node).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { bundle } from '../../build.ts'
import { run } from '../../lib/exec.ts'
import { atEnd } from '../harness/cleanup.ts'
import type { Fencing } from './conf.ts'
import { loadCluster, loadResource, newResource, procPath, saveCluster, saveResource, type Node, type NodeState, type Resource } from './state.ts'

export interface DrbdNode {
  name: string
  drbdadm: string
  drbdsetup: string
  proc: string
  conf: string
  /** the drbd agent's OCF parameters for r0 on this node */
  params: Record<string, string>
  /** the environment drbddisk reads in haresources mode */
  v1env: Record<string, string>
}

export interface Pair {
  dir: string
  /** the first node */
  alpha: DrbdNode
  /** the second node */
  beta: DrbdNode
  r0(): Resource
  /** changes r0's state as the kernel would see it (a mount, a failed disk; a cut link no DRBD has noticed yet) */
  edit(change: (r: Resource) => void): void
  /**
   * Cuts the replication link: each Primary under fencing calls its fence-peer handler (`drbdadm
   * fence-peer r0`, run on its node) and acts on the answer. Resolves with each handler's exit code.
   */
  cutLink(): Promise<Record<string, number | null>>
  /** the replication link back: the nodes connect (and resynchronise) as DRBD does */
  joinLink(): void
  /** what DRBD logged on a node (<state>/<node>.kern.log): fence-peer calls and their outcome */
  kernLog(name: string): string
  node(name: string, patch: Partial<NodeState>): void
  setNode(name: string, patch: Partial<Node>): void
  /** every call of the doubles so far, `alpha drbdadm -c … primary r0` */
  calls(): string[]
}

let built: Promise<string> | undefined
/** one bundle of the double per test process */
function doubleProgram(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halo-drbd-double-'))
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'double')
    await bundle(fileURLToPath(new URL('./double.ts', import.meta.url)), file)
    return file
  })()
  return built
}

export interface PairOptions {
  version?: '9' | '8.4'
  module?: boolean
  /** the two nodes' host names (default alpha, beta) */
  names?: readonly [string, string]
  /** r0's `fencing` policy, and its `handlers { fence-peer "…"; }` */
  fencing?: { policy: Fencing; handler?: string }
  /** argv that runs on a node: the kernel's handler call happens there (default: here) */
  enter?: (node: string, argv: readonly string[]) => string[]
}

const conf = (nodes: readonly string[], fencing: PairOptions['fencing']) =>
  `resource r0 {\n${
    fencing ? `    net { fencing ${fencing.policy}; }\n${fencing.handler ? `    handlers { fence-peer "${fencing.handler}"; }\n` : ''}` : ''
  }${nodes
    .map((n, i) => `    on ${n} {\n        node-id ${i};\n        device /dev/drbd0 minor 0;\n        disk /dev/loop7;\n        meta-disk internal;\n        address ipv4 10.250.0.${i + 1}:7789;\n    }\n`)
    .join('')}}\n`

export async function drbdPair(t: Test, opts: PairOptions = {}): Promise<Pair> {
  const program = await doubleProgram()
  const dir = mkdtempSync(join(tmpdir(), 'halo-drbd-'))
  atEnd(t, ['rm', '-rf', dir])
  const names = opts.names ?? ['alpha', 'beta']
  const state = join(dir, 'state')
  mkdirSync(state)
  const cluster = { dir: state, nodes: Object.fromEntries(names.map((name) => [name, { name, version: opts.version ?? '9', module: opts.module ?? true }])) }
  saveCluster(cluster)
  saveResource(cluster, newResource('r0', 0, names))
  writeFileSync(join(state, 'calls.log'), '')
  const node = (name: string): DrbdNode => {
    const bin = join(dir, name)
    mkdirSync(bin)
    const confFile = join(bin, 'drbd.conf')
    writeFileSync(confFile, conf(names, opts.fencing))
    writeFileSync(join(bin, 'double.json'), JSON.stringify({ node: name, state, conf: confFile }))
    for (const tool of ['drbdadm', 'drbdsetup']) copyFileSync(program, join(bin, tool))
    const n = { name, drbdadm: join(bin, 'drbdadm'), drbdsetup: join(bin, 'drbdsetup'), proc: procPath(cluster, name), conf: confFile }
    return {
      ...n,
      params: { drbd_resource: 'r0', drbdconf: n.conf, drbdadm: n.drbdadm, drbdsetup: n.drbdsetup, proc_drbd: n.proc },
      v1env: { HA_DRBDADM: n.drbdadm, HA_DRBDCONF: n.conf, HA_PROC_DRBD: n.proc },
    }
  }
  const r0 = () => loadResource(cluster, 'r0')!
  const edit = (change: (r: Resource) => void) => {
    const r = r0()
    change(r)
    saveResource(cluster, r)
  }
  const nodes = names.map(node)
  const enter = opts.enter ?? ((_: string, argv: readonly string[]) => [...argv])
  return {
    dir,
    alpha: nodes[0],
    beta: nodes[1],
    r0,
    edit,
    async cutLink() {
      edit((r) => (r.link = false))
      const codes: Record<string, number | null> = {}
      // both DRBDs notice at once, as both lose the same cable
      await Promise.all(
        nodes.map(async (n) => {
          const s = r0().nodes[n.name]
          if (!opts.fencing || opts.fencing.policy === 'dont-care' || !s.up || s.role !== 'Primary') return
          codes[n.name] = (await run(enter(n.name, [n.drbdadm, '-c', n.conf, 'fence-peer', 'r0']))).code
        }),
      )
      return codes
    },
    joinLink: () => edit((r) => (r.link = true)),
    kernLog: (name) => {
      const file = join(state, `${name}.kern.log`)
      return existsSync(file) ? readFileSync(file, 'utf8') : ''
    },
    node: (name, patch) => edit((r) => Object.assign(r.nodes[name], patch)),
    setNode: (name, patch) => {
      const c = loadCluster(state)
      Object.assign(c.nodes[name], patch)
      saveCluster(c)
    },
    calls: () => readFileSync(join(state, 'calls.log'), 'utf8').split('\n').filter(Boolean),
  }
}

/**
 * A drbd.conf for this machine's real drbdadm, as in reference/drbd/drbdadm_without_module.txt: r0 on this
 * host and a peer, on a dummy disk. Returns its path (in a directory removed when the test ends).
 */
export function realDrbdConf(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'halo-drbd-real-'))
  atEnd(t, ['rm', '-rf', dir])
  const conf = join(dir, 'drbd.conf')
  const on = (host: string, i: number) => `  on ${host} {\n    node-id ${i};\n    device /dev/drbd0 minor 0;\n    disk /dev/loop7;\n    meta-disk internal;\n    address ipv4 10.250.0.${i + 1}:7789;\n  }\n`
  writeFileSync(conf, `resource r0 {\n${on(hostname(), 0)}${on('peer', 1)}}\n`)
  return conf
}
