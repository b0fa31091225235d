/**
 * Two DRBD nodes for a test: alpha and beta, each with its own drbdadm/drbdsetup double and /proc/drbd,
 * sharing one state directory, so one test can play both sides of resource r0 (minor 0).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { bundle } from '../../build.ts'
import { atEnd } from '../harness/cleanup.ts'
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
  alpha: DrbdNode
  beta: DrbdNode
  r0(): Resource
  /** changes r0's state as the kernel would see it (a mount, a failed disk, a cut link) */
  edit(change: (r: Resource) => void): void
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

const conf = (nodes: readonly string[]) =>
  `resource r0 {\n${nodes
    .map((n, i) => `    on ${n} {\n        node-id ${i};\n        device /dev/drbd0 minor 0;\n        disk /dev/loop7;\n        meta-disk internal;\n        address ipv4 10.250.0.${i + 1}:7789;\n    }\n`)
    .join('')}}\n`

export async function drbdPair(t: Test, opts: { version?: '9' | '8.4'; module?: boolean } = {}): Promise<Pair> {
  const program = await doubleProgram()
  const dir = mkdtempSync(join(tmpdir(), 'halo-drbd-'))
  atEnd(t, ['rm', '-rf', dir])
  const names = ['alpha', 'beta']
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
    writeFileSync(confFile, conf(names))
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
  return {
    dir,
    alpha: node('alpha'),
    beta: node('beta'),
    r0,
    edit,
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
