/**
 * The two machines the example README assumes, as virtual nodes: node1 and node2 with a crossover link
 * (eth0, 10.0.0.0/24) and a service network (eth1, 192.0.2.0/24) whose switch is a client's namespace;
 * halo's package "installed" in each (dist/ and the repository's examples/ bound over /usr/lib/halo in the
 * node's own mount namespace, Heartbeat's names pointing at halo's as pkg/debian/v1-names makes them), and
 * drbd-utils played by the DRBD double (test/drbd) in /usr/local/sbin, first on systemd's PATH, reading
 * the node's own /etc/drbd.d/r0.res. The node's private directories keep what a disk keeps across a power
 * cut; the bind mounts and DRBD's kernel state go with the power, and powerOn/powerCut redo and undo them.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { runOk } from '../../lib/exec.ts'
import { VirtualNode } from '../../demo/node.ts'
import { netns } from '../harness/netns.ts'
import { drbdPair, type Pair } from '../drbd/pair.ts'

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))
const DIST = repo('dist')
export const EXAMPLE = repo('examples/mysql-appserver-cluster')
export const LIB = '/usr/lib/halo'
/** systemd's PATH for system services: what halo-heartbeat and everything it runs inherit */
export const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const CLIENT_ADDRESS = '192.0.2.100'
/** the service network's router: ha.cf's ping node answers from the client's namespace, the nodes' way out */
const ROUTER = '192.0.2.254'
/** each node's own directories besides the lab's: DRBD's configuration, drbd-utils' programs */
const OWN_DIRS = ['etc/drbd.d', 'usr/local/sbin']

const NODES = [
  { name: 'node1', eth0: '10.0.0.1/24', eth1: '192.0.2.1/24' },
  { name: 'node2', eth0: '10.0.0.2/24', eth1: '192.0.2.2/24' },
] as const

export interface Site {
  nodes: readonly [VirtualNode, VirtualNode]
  client: string
  drbd: Pair
  /** power on, then what the installed package and drbd-utils put in place */
  powerOn(node: VirtualNode): Promise<void>
  /** power off: every process, mount and address of the node gone, and its DRBD down with its kernel */
  powerCut(node: VirtualNode): Promise<void>
}

/** pkg/debian/v1-names' list: Heartbeat's names (haresources' agents, cl_status, hb_standby) → halo's programs */
function v1Names(): [string, string][] {
  const text = readFileSync(repo('pkg/debian/v1-names'), 'utf8')
  const list = /^NAMES="\n([^"]*)"/m.exec(text)
  if (!list) throw new Error('pkg/debian/v1-names: no NAMES list')
  return list[1]
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replaceAll('$LIB', LIB).split(' ') as [string, string])
}

export async function buildSite(t: Test): Promise<Site> {
  for (const needed of [join(DIST, 'bin/halo-heartbeat'), join(DIST, 'agents/drbddisk')]) {
    if (!existsSync(needed)) throw new Error(`${needed} is missing: run npm run build first`)
  }
  // the mount points of the package's files (the node binds the tree under test over them)
  for (const dir of ['bin', 'agents', 'examples'].map((d) => join(LIB, d))) {
    if (!existsSync(dir)) throw new Error(`${dir} is missing: install halo's package on this machine first (./install.sh)`)
  }
  const [ns1, ns2, client] = [await netns(t), await netns(t), await netns(t)]
  await runOk(['ip', 'link', 'add', 'eth0', 'netns', ns1, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns2])
  await runOk(['ip', '-n', client, 'link', 'add', 'br0', 'type', 'bridge'])
  for (const [i, ns] of [ns1, ns2].entries()) {
    await runOk(['ip', 'link', 'add', 'eth1', 'netns', ns, 'type', 'veth', 'peer', 'name', `port${i + 1}`, 'netns', client])
    await runOk(['ip', '-n', client, 'link', 'set', `port${i + 1}`, 'master', 'br0', 'up'])
  }
  for (const address of [CLIENT_ADDRESS, ROUTER]) await runOk(['ip', '-n', client, 'addr', 'add', `${address}/24`, 'dev', 'br0'])
  await runOk(['ip', '-n', client, 'link', 'set', 'br0', 'up'])

  const drbd = await drbdPair(t, { names: [NODES[0].name, NODES[1].name] })
  const nodes = NODES.map((n, i) => {
    const dir = join(drbd.dir, `${n.name}-machine`)
    const node = new VirtualNode({ name: n.name, netns: [ns1, ns2][i], dir, addresses: { eth0: n.eth0, eth1: n.eth1 }, ownDirs: OWN_DIRS }, t)
    // drbd-utils: the double, as drbdadm/drbdsetup on PATH, reading what the admin put in /etc/drbd.d
    const sbin = join(dir, 'usr/local/sbin')
    mkdirSync(sbin, { recursive: true })
    const double = [drbd.alpha, drbd.beta][i]
    for (const tool of ['drbdadm', 'drbdsetup'] as const) copyFileSync(double[tool], join(sbin, tool))
    const { state } = JSON.parse(readFileSync(join(dirname(double.drbdadm), 'double.json'), 'utf8')) as { state: string }
    writeFileSync(join(sbin, 'double.json'), JSON.stringify({ node: n.name, state, conf: '/etc/drbd.d/r0.res' }))
    // the package's postinst (v1-names): its links in the node's own /etc/ha.d
    for (const [path, target] of v1Names().filter(([p]) => p.startsWith('/etc/ha.d/'))) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      rmSync(join(dir, path), { force: true })
      symlinkSync(target, join(dir, path))
    }
    return node
  }) as unknown as [VirtualNode, VirtualNode]

  return {
    nodes,
    client,
    drbd,
    async powerOn(node) {
      await node.boot()
      // the tree under test as the installed package, in this node only
      for (const [from, to] of [
        [join(DIST, 'bin'), join(LIB, 'bin')],
        [join(DIST, 'agents'), join(LIB, 'agents')],
        [repo('examples'), join(LIB, 'examples')],
      ]) {
        await runOk(node.enter(['mount', '--bind', from, to]))
      }
      // v1-names replace: Heartbeat's commands are halo's (dpkg's diversions would change the host: bound over here)
      for (const [path, target] of v1Names().filter(([p]) => !p.startsWith('/etc/ha.d/') && existsSync(p))) {
        await runOk(node.enter(['mount', '--bind', target, path]))
      }
    },
    async powerCut(node) {
      await node.powerCut()
      // DRBD is kernel state: it goes with the machine (its meta-data, the disk states, stay)
      drbd.node(node.name, { up: false, role: 'Secondary', open: 0 })
    },
  }
}
