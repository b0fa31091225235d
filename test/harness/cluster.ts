/**
 * A two-node halo cluster in virtual nodes: nodea (10.251.0.1) and nodeb (10.251.0.2) joined by a veth
 * (eth0 in each), each with its own ha.cf, authkeys and haresources (hbtest resources) in its
 * /etc/ha.d, running dist/bin/halo-heartbeat -f when started. Needs `node build.ts halo-heartbeat
 * hb_standby hb_takeover cl_status` first.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { runOk, spawnDetached } from '../../lib/exec.ts'
import { atEnd } from './cleanup.ts'
import { netns, veth } from './netns.ts'
import { type VirtualNode, virtualNode } from './node.ts'
import { until } from './wait.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))
export const bin = (name: string) => join(repo, 'dist/bin', name)
const hbtest = join(repo, 'test/fixtures/hbtest')

export interface ClusterOptions {
  keepalive?: string
  deadtime?: string
  initdead?: string
  warntime?: string
  autoFailback?: 'on' | 'off' | 'legacy'
  /** haresources lines; default nodea runs r1 r2, nodeb runs r3 */
  haresources?: string
}

export interface HaloNode {
  name: string
  address: string
  /** the current virtual node (a new one after boot()) */
  vm: VirtualNode
  /** (re)boots the node with the same files and starts the engine */
  boot(): Promise<void>
  /** has the hbtest resource NAME running on this node */
  running(resource: string): boolean
  /** the hbtest log: one entry per call */
  hbtestLog(): { ns: bigint; name: string; action: string }[]
  /** the engine's log file */
  haLog(): string
  /** runs a halo command (cl_status, hb_standby…) inside the node; its stdout */
  cmd(name: string, ...args: string[]): Promise<string>
}

export async function cluster(t: Test, opts: ClusterOptions = {}): Promise<[HaloNode, HaloNode]> {
  const nsA = await netns(t)
  const nsB = await netns(t)
  await veth(nsA, nsB)
  const nodes = [
    { name: 'nodea', address: '10.251.0.1', ns: nsA },
    { name: 'nodeb', address: '10.251.0.2', ns: nsB },
  ]
  const hacf = `keepalive ${opts.keepalive ?? '200ms'}
deadtime ${opts.deadtime ?? '1'}
warntime ${opts.warntime ?? '500ms'}
initdead ${opts.initdead ?? '3'}
udpport 694
bcast eth0
auto_failback ${opts.autoFailback ?? 'on'}
node nodea
node nodeb
crm off
use_logd no
logfile /var/lib/heartbeat/ha-log
`
  const haresources = opts.haresources ?? 'nodea hbtest::r1 hbtest::r2\nnodeb hbtest::r3\n'
  return Promise.all(
    nodes.map(async ({ name, address, ns }) => {
      await runOk(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'brd', '10.251.0.255', 'dev', 'eth0'])
      const dir = mkdtempSync(join(tmpdir(), `halo-cluster-${name}-`))
      // a failed scenario is read from the engines' logs: show them before the files go
      t.teardown(() => {
        if (!t.passing()) t.comment(`${name}'s ha-log:\n${node.haLog()}`)
      })
      atEnd(t, ['rm', '-rf', dir])
      const etc = join(dir, 'etc/ha.d')
      mkdirSync(join(etc, 'resource.d'), { recursive: true })
      writeFileSync(join(etc, 'ha.cf'), hacf)
      writeFileSync(join(etc, 'haresources'), haresources)
      writeFileSync(join(etc, 'authkeys'), 'auth 1\n1 sha1 halo-cluster-test\n', { mode: 0o600 })
      chmodSync(join(etc, 'authkeys'), 0o600)
      copyFileSync(hbtest, join(etc, 'resource.d/hbtest'))
      chmodSync(join(etc, 'resource.d/hbtest'), 0o755)
      const lib = join(dir, 'var/lib/heartbeat')
      const node: HaloNode = {
        name,
        address,
        vm: undefined as unknown as VirtualNode,
        async boot() {
          node.vm = await virtualNode(t, name, { netns: ns, dir })
          spawnDetached(node.vm.enter([process.execPath, bin('halo-heartbeat'), '-f']))
          await until(`${name}'s engine to answer`, async () => (await node.vm.exec([bin('cl_status'), 'hbstatus'])).code === 0, 10_000)
        },
        running: (r) => existsSync(join(lib, 'hbtest', `${r}.running`)),
        hbtestLog() {
          const file = join(lib, 'hbtest/log')
          if (!existsSync(file)) return []
          return readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .map((l) => l.split(' '))
            .map(([ns, n, action]) => ({ ns: BigInt(ns), name: n, action }))
        },
        haLog: () => (existsSync(join(lib, 'ha-log')) ? readFileSync(join(lib, 'ha-log'), 'utf8') : ''),
        async cmd(cmdName, ...args) {
          const r = await node.vm.exec([bin(cmdName), ...args])
          return r.stdout.trim()
        },
      }
      return node
    }),
  ) as Promise<[HaloNode, HaloNode]>
}

/** Every hbtest resource of the default haresources, by the node that owns it. */
export const OWNED = { nodea: ['r1', 'r2'], nodeb: ['r3'] } as const
