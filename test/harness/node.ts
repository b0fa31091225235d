/**
 * Virtual nodes for tests: the demo's node (demo/node.ts: a network namespace plus private mount, UTS and
 * PID namespaces, with its own host name, /run, /etc/ha.d, /var/lib/heartbeat and /var/lib/halo), tied to
 * a test. Its power goes through demo/node-power, which its BMC (demo/bmc.ts) uses too; a power cut kills
 * its PID 1, and every process of the node dies at once.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NODE_POWER, VirtualNode } from '../../demo/node.ts'
import { type Scope, atEnd } from './cleanup.ts'
import { netns } from './netns.ts'

export type { VirtualNode }

const PRIVATE_DIRS = ['etc/ha.d', 'var/lib/heartbeat', 'var/lib/halo']

export interface NodeOptions {
  /** its network namespace (default: a new one) */
  netns?: string
  /** a program its init starts, at every boot */
  command?: readonly string[]
  /** its files (default: a new directory, removed when the test ends) */
  dir?: string
  /** addresses set at every boot, gone at a power cut: { eth0: '10.0.0.1/24' } */
  addresses?: Record<string, string>
  /** boot it now (default); false leaves it powered off, for its BMC or a later boot() */
  boot?: boolean
}

/** Boots a node named `name`; powered off (and its files removed, unless given) when the test ends. */
export async function virtualNode(t: Scope, name: string, opts: NodeOptions = {}): Promise<VirtualNode> {
  const ns = opts.netns ?? (await netns(t))
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `halo-node-${name}-`))
  // a dir given by the caller outlives this boot (a reboot reuses it): the caller removes it
  if (!opts.dir) atEnd(t, ['rm', '-rf', dir])
  const node = new VirtualNode({ name, netns: ns, dir, addresses: opts.addresses ?? {}, privateDirs: PRIVATE_DIRS, command: opts.command }, t)
  // also when the test process is killed before its teardown
  atEnd(t, [NODE_POWER, 'off', dir])
  if (opts.boot !== false) await node.boot()
  return node
}
