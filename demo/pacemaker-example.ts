/**
 * The example cluster (examples/mysql-appserver-cluster) moved past two nodes: its ha.cf and authkeys, and a
 * haresources whose Filesystem is on a shared loop device (in place of DRBD, which the lab has no kernel
 * module for), converted by `halo convert --to cib --nodes node1,node2,node3` and run on the Pacemaker lab
 * (demo/pacemaker.ts) with real MariaDB and the demo's application server on the disk. What the admin
 * fills in after the conversion, the lab fills in: the nodes' addresses in corosync.conf (the words
 * ADDRESS-OF-<node>-ON-<link>), and fence devices for the BMCs (withLabFencing). Used by the scenario tests
 * and bench/pacemaker.ts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runOk } from '../lib/exec.ts'
import { SCHEMA_SQL } from './client.ts'
import { type LoopDisk, loopExt4 } from './loop.ts'
import { PCMK_NODES, type PacemakerCluster, pacemakerCluster } from './pacemaker.ts'
import { withLabFencing } from './pacemaker-cib.ts'
import type { ClusterStatus } from './pacemaker-status.ts'
import { type Scope, atEnd } from './scope.ts'
import { exampleDir, prepareDisk } from './stack.ts'

export interface ExampleOnPacemaker {
  cluster: PacemakerCluster
  disk: LoopDisk
  /** halo convert's output: corosync.conf, cib.xml, not-converted.txt */
  converted: string
  /** the converted group's id */
  group: string
  /** the node running every member of the group, if one does */
  holder(s: ClusterStatus): string | undefined
  /** waits until one node (one of `on`, when given) runs the whole group; returns the status then */
  settled(on?: readonly string[], ms?: number): Promise<ClusterStatus>
}

/** the lab's address of each node on each of the example's links */
const LINKS: Record<string, 'cluster' | 'service'> = { eth0: 'cluster', eth1: 'service' }

/** corosync.conf as halo convert wrote it, with the lab's addresses where it asks for the nodes' */
function fillAddresses(conf: string): string {
  return conf.replace(/ADDRESS-OF-(\S+?)-ON-(eth\d)/g, (word, node: string, link: string) => {
    const n = PCMK_NODES.find((x) => x.name === node)
    if (!n || !LINKS[link]) throw new Error(`corosync.conf: ${word}: the lab has no such node or link`)
    return n[LINKS[link]]
  })
}

export interface ExampleOptions {
  /** halo's programs (dist/bin); its agents are in ../agents */
  bin: string
  /** the haresources to convert: the example's, its Filesystem on SHARED-DISK (the loop device) */
  haresources: string
  say?: (step: string) => void
}

export async function exampleOnPacemaker(scope: Scope, opts: ExampleOptions): Promise<ExampleOnPacemaker> {
  const { bin } = opts
  const say = opts.say ?? (() => {})
  const example = exampleDir(bin)
  say('data disk: a loop device with ext4, MariaDB and the application server on it')
  const disk = await loopExt4(scope, 512)
  await prepareDisk(disk, example, bin)

  say('halo convert: the example with the shared disk, for node1, node2 and node3')
  const work = mkdtempSync(join(tmpdir(), 'halo-pcmk-example-'))
  atEnd(scope, ['rm', '-rf', work])
  const conf = join(work, 'ha.d')
  const converted = join(work, 'converted')
  mkdirSync(conf)
  for (const f of ['ha.cf', 'authkeys']) copyFileSync(join(example, f), join(conf, f))
  writeFileSync(join(conf, 'haresources'), readFileSync(opts.haresources, 'utf8').replaceAll('SHARED-DISK', disk.device))
  const nodes = PCMK_NODES.map((n) => n.name)
  await runOk([process.execPath, join(bin, 'halo'), 'convert', '-c', conf, '--to', 'cib', '--nodes', nodes.join(','), '--mon-cf', join(example, 'mon.cf'), '--out', converted])

  say('the Pacemaker lab: three nodes on the converted corosync.conf')
  const cluster = await pacemakerCluster(scope, { corosyncConf: fillAddresses(readFileSync(join(converted, 'corosync.conf'), 'utf8')), agents: join(bin, '../agents') })
  await cluster.formed()
  say('the converted CIB, with a fence device per BMC, pushed with cibadmin --replace')
  await cluster.pushCib(await withLabFencing(readFileSync(join(converted, 'cib.xml'), 'utf8'), cluster.nodes))

  let group = ''
  const members = (s: ClusterStatus) => s.resources.filter((r) => r.group !== undefined && r.group === group)
  const holder = (s: ClusterStatus) => {
    group ||= s.resources.find((r) => r.agent === 'ocf:halo:Filesystem')?.group ?? ''
    const on = members(s).map((r) => (r.role === 'Started' && r.on.length === 1 ? r.on[0] : undefined))
    return on.length > 0 && on.every((n) => n !== undefined && n === on[0]) ? on[0] : undefined
  }
  const lab: ExampleOnPacemaker = {
    cluster,
    disk,
    converted,
    get group() {
      return group
    },
    holder,
    settled: (on, ms = 120_000) => cluster.until(`the whole group on ${on ? on.join(' or ') : 'one node'}`, (s) => !!holder(s) && (!on || on.includes(holder(s)!)), ms),
  }
  await lab.settled(['node1'])
  say('creating the demo database and its client account')
  await cluster.node('node1').exec(['mariadb', '--no-defaults', '--socket=/run/mysqld/mysqld.sock', '-e', SCHEMA_SQL])
  return lab
}
