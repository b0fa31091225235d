/**
 * Virtual nodes: a network namespace plus private mount, UTS and PID namespaces, whose PID 1 is
 * node-init. A node has its own host name, /run, /etc/ha.d, /var/lib/heartbeat and /var/lib/halo
 * (files under `dir`). Killing its PID 1 is a power cut: every process of the node dies at once.
 */
import { mkdtempSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, spawnDetached, type RunOptions, type RunResult } from '../../lib/exec.ts'
import { isAlive } from '../../lib/process.ts'
import { type Scope, atEnd } from './cleanup.ts'
import { netns } from './netns.ts'
import { until } from './wait.ts'

const init = fileURLToPath(new URL('./node-init', import.meta.url))

export interface VirtualNode {
  name: string
  netns: string
  /** the node's own files: etc/ha.d, var/lib/heartbeat, var/lib/halo, ready, reboot.log */
  dir: string
  /** PID 1 of the node, as the host sees it */
  pid: number
  /** runs argv inside the node (all its namespaces) */
  exec(argv: readonly string[], opts?: RunOptions): Promise<RunResult>
  /** argv that enters the node, for spawning long-running programs yourself */
  enter(argv: readonly string[]): string[]
  /** kill -9 of PID 1, resolved once the node is gone */
  powerCut(): Promise<void>
}

/**
 * Boots a node named `name` in a new network namespace (or `opts.netns`), running `opts.command` under
 * its init. Stopped (power cut) and its files removed when the test ends.
 */
export async function virtualNode(t: Scope, name: string, opts: { netns?: string; command?: readonly string[]; dir?: string } = {}): Promise<VirtualNode> {
  const ns = opts.netns ?? (await netns(t))
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `halo-node-${name}-`))
  const pid = spawnDetached(['ip', 'netns', 'exec', ns, 'unshare', '-m', '-u', '-p', '-f', '--mount-proc', init, name, dir, ...(opts.command ?? [])])
  // `pid` is ip(8)'s, which execs unshare, which forks node-init: find PID 1 of the new PID namespace.
  let initPid = 0
  await until(`node ${name} to boot`, () => {
    initPid = childOf(pid) ?? 0
    return initPid > 0 && existsSync(join(dir, 'ready'))
  })
  const enter = (argv: readonly string[]) => ['nsenter', '-t', String(initPid), '-m', '-u', '-n', '-p', ...argv]
  const node: VirtualNode = {
    name,
    netns: ns,
    dir,
    pid: initPid,
    enter,
    exec: (argv, o) => run(enter(argv), o),
    async powerCut() {
      try {
        process.kill(initPid, 'SIGKILL')
      } catch {
        return
      }
      await until(`node ${name} to die`, () => !isAlive(initPid) && !isAlive(pid))
    },
  }
  // a dir given by the caller outlives this boot (a reboot reuses it): the caller removes it
  if (!opts.dir) atEnd(t, ['rm', '-rf', dir])
  atEnd(t, ['kill', '-9', String(initPid)])
  return node
}

function childOf(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
    return children ? Number(children.split(' ')[0]) : undefined
  } catch {
    return undefined
  }
}
