/**
 * A virtual node, of the demo cluster, the tests and the benchmarks: a network namespace (the caller's, or
 * a new one: virtualNode) plus private mount, UTS and PID namespaces whose PID 1 is the small init below.
 * Booting gives the node its host name, an empty /run, /srv and /dev/shm, and its own copies of the directories heartbeat, MariaDB and mon write (DIR/<path> bound over
 * /<path>), so the two nodes share nothing but the data disk. Its power goes through one switch,
 * demo/node-power, which the lab and the node's BMC (demo/bmc.ts) both use: power on sets the addresses and
 * starts init (and the node's command) afresh; power off kills PID 1 (every process of the node dies with
 * it) and takes the node's links down, as a machine without power answers nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, runOk, type RunOptions, type RunResult } from '../lib/exec.ts'
import { processStat, signal } from '../lib/process.ts'
import { until } from '../lib/wait.ts'
import { netns } from './netns.ts'
import { type Scope, atEnd } from './scope.ts'

/** the node's power switch (beside this file in the source tree, in dist/demo once built) */
export const NODE_POWER = fileURLToPath(new URL('../demo/node-power', import.meta.url))

/** each node's own copy of these (DIR/etc/ha.d over /etc/ha.d…) */
const PRIVATE_DIRS = ['etc/ha.d', 'etc/mon', 'var/lib/heartbeat', 'var/lib/halo', 'var/lib/mon', 'var/log', 'usr/lib/mon/alert.d']

// PID 1 of a node: a constant script; the node's name, directory, private paths and a command to start
// (after --) come as arguments. It reaps orphans, as an init must.
const INIT = `set -eu
name=$1 dir=$2; shift 2
hostname "$name"
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /srv
# POSIX shared memory is a machine's own: libqb's IPC (corosync, Pacemaker) keeps its rings there
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir -p /run/mysqld /run/halo /run/heartbeat /run/resource-agents /srv/ha
chown mysql:mysql /run/mysqld 2>/dev/null || true
while [ $# -gt 0 ] && [ "$1" != -- ]; do mkdir -p "$dir/$1" "/$1"; mount --bind "$dir/$1" "/$1"; shift; done
[ $# -gt 0 ] && shift
# Heartbeat's ResourceManager (and halo's last resort) reboots a node whose stop failed: write it down
printf '#!/bin/sh\\necho "reboot $*" >>%q/reboot.log\\n' "$dir" >"$dir/reboot"
chmod 755 "$dir/reboot"
for r in /usr/sbin/reboot /sbin/reboot; do [ -e "$r" ] && mount --bind "$dir/reboot" "$r"; done
echo ready >"$dir/ready"
if [ $# -gt 0 ]; then "$@" & fi
while :; do wait -n 2>/dev/null || sleep 1; done`

export interface NodeSpec {
  name: string
  netns: string
  /** the node's files on the host */
  dir: string
  /** address/prefix on each link, e.g. { eth0: '10.0.0.1/24' }: set at every boot, gone at a power cut */
  addresses: Record<string, string>
  /** a program its init starts once booted */
  command?: readonly string[]
  /** more of the host's directories the node gets its own copy of, besides PRIVATE_DIRS (e.g. etc/drbd.d) */
  ownDirs?: readonly string[]
}

/** one switch of a node's power, from its power log */
export interface PowerEvent {
  /** host time (epoch) in ns */
  ns: bigint
  event: 'on' | 'off'
}

export class VirtualNode {
  constructor(
    readonly spec: NodeSpec,
    /** where the power-off at the end is registered (it also runs if the process exits first) */
    scope: Scope,
  ) {
    const { name, netns, dir, addresses } = spec
    const links = Object.entries(addresses).map(([link, address]) => [netns, link, address])
    const blank = links.flat().find((word) => !/^\S+$/.test(word))
    if (blank !== undefined) throw new Error(`${name}: '${blank}' is not a network namespace, link or address`)
    // what node-power needs to power the node on, whoever presses the button (the lab, the BMC)
    mkdirSync(dir, { recursive: true })
    // --kill-child: unshare killed (a power cut) takes PID 1, so the whole namespace, with it
    const boot = ['ip', 'netns', 'exec', netns, 'unshare', '-m', '-u', '-p', '-f', '--kill-child', '--mount-proc', 'bash', '-c', INIT, 'init', name, dir, ...PRIVATE_DIRS, ...(spec.ownDirs ?? []), '--', ...(spec.command ?? [])]
    writeFileSync(join(dir, 'boot'), boot.map((arg) => `${arg}\0`).join(''))
    writeFileSync(join(dir, 'links'), links.map((words) => `${words.join(' ')}\n`).join(''))
    atEnd(scope, [NODE_POWER, 'off', dir])
  }

  get name(): string {
    return this.spec.name
  }

  /** the node's files on the host: DIR/etc/ha.d …, ready, reboot.log, power.log, console */
  get dir(): string {
    return this.spec.dir
  }

  /** PID 1 of the node as the host sees it, whoever booted it; 0 while the power is off */
  get pid(): number {
    let record: string
    try {
      record = readFileSync(join(this.dir, 'power.pid'), 'utf8')
    } catch {
      return 0
    }
    // node-power's record (empty while off): the unshare process owning the node's PID namespace, with its start time
    const [unshare, startTime] = record.trim().split(' ')
    if (!startTime) return 0
    const stat = processStat(Number(unshare))
    if (!stat || stat.startTime !== startTime || stat.state === 'Z') return 0
    const init = childOf(Number(unshare))
    return init > 0 && processStat(init)?.state !== 'Z' ? init : 0
  }

  /** argv that runs inside the node (all its namespaces) */
  enter(argv: readonly string[]): string[] {
    return ['nsenter', '-t', String(this.pid), '-m', '-u', '-n', '-p', ...argv]
  }

  exec(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run(this.enter(argv), opts)
  }

  get up(): boolean {
    return this.pid > 0
  }

  /** power on: fresh addresses (nothing a previous life configured), then init and the node's command */
  async boot(): Promise<void> {
    if (this.up) throw new Error(`${this.name} is already powered on`)
    const ready = join(this.dir, 'ready')
    rmSync(ready, { force: true })
    await runOk([NODE_POWER, 'on', this.dir])
    await until(`${this.name} to boot`, () => this.up && existsSync(ready), 10_000)
  }

  /** power off; resolves once every process of the node is gone */
  async powerCut(): Promise<void> {
    await runOk([NODE_POWER, 'off', this.dir])
  }

  /** every switch of the node's power so far, the BMC's included */
  powerLog(): PowerEvent[] {
    const file = join(this.dir, 'power.log')
    if (!existsSync(file)) return []
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '))
      .map(([ns, event]) => ({ ns: BigInt(ns), event: event as PowerEvent['event'] }))
  }

  /** every live process of the node (host pids): the members of its PID namespace, zombies left out */
  processes(): number[] {
    const init = this.pid
    const ns = init > 0 ? nsOf(init) : undefined
    if (ns === undefined) return []
    return readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map(Number)
      .filter((p) => nsOf(p) === ns && processStat(p)?.state !== 'Z')
  }

  /** where a file of the node's own mounts (/run, /srv…) is seen from the host, through its PID 1 */
  path(file: string): string {
    return `/proc/${this.pid}/root${file}`
  }

  /** the host pid of the node's process `pid` (its pid inside the node), undefined when none runs */
  hostPid(pid: number): number | undefined {
    return this.processes().find((p) => innermostPid(p) === pid)
  }

  /**
   * SIGSTOP to every process of the node: a machine that hangs, its kernel state (addresses, mounts)
   * intact. Resolves once all are stopped; one forked meanwhile is caught on the next pass.
   */
  async freeze(): Promise<void> {
    if (!this.up) throw new Error(`${this.name} is powered off: nothing to freeze`)
    await until(`every process of ${this.name} to stop`, () => {
      const running = this.processes().filter((p) => !stopped(p))
      signal(running, 'SIGSTOP')
      return running.length === 0
    })
  }

  /** SIGCONT to every process of the node; resolves once none is stopped */
  async thaw(): Promise<void> {
    await until(`every process of ${this.name} to go on`, () => {
      const frozen = this.processes().filter(stopped)
      signal(frozen, 'SIGCONT')
      return frozen.length === 0
    })
  }
}

export interface NodeOptions {
  /** its network namespace (default: a new one) */
  netns?: string
  /** a program its init starts, at every boot */
  command?: readonly string[]
  /** its files (default: a new directory, removed when the scope ends) */
  dir?: string
  /** addresses set at every boot, gone at a power cut: { eth0: '10.0.0.1/24' } */
  addresses?: Record<string, string>
  /** boot it now (default); false leaves it powered off, for its BMC or a later boot() */
  boot?: boolean
}

/** Boots a node named `name`; powered off (and its files removed, unless given) when the scope ends. */
export async function virtualNode(scope: Scope, name: string, opts: NodeOptions = {}): Promise<VirtualNode> {
  const ns = opts.netns ?? (await netns(scope))
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `halo-node-${name}-`))
  // a dir given by the caller outlives this boot (a reboot reuses it): the caller removes it
  if (!opts.dir) atEnd(scope, ['rm', '-rf', dir])
  const node = new VirtualNode({ name, netns: ns, dir, addresses: opts.addresses ?? {}, command: opts.command }, scope)
  if (opts.boot !== false) await node.boot()
  return node
}

function childOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || 0
  } catch {
    return 0
  }
}

function nsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`)
  } catch {
    return undefined
  }
}

/** the last of NSpid: the process's pid in its own PID namespace */
function innermostPid(pid: number): number | undefined {
  try {
    return Number(/^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1].split(/\s+/).at(-1))
  } catch {
    return undefined
  }
}

const stopped = (pid: number) => ['T', 't'].includes(processStat(pid)?.state ?? '')
