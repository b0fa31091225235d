/**
 * A virtual node, of the demo cluster and of the tests: its network namespace (made by the caller) plus
 * private mount, UTS and PID namespaces whose PID 1 is the small init below. Booting gives the node its host name, an empty /run and
 * /srv, and its own copies of the directories heartbeat, MariaDB and mon write (DIR/<path> bound over
 * /<path>), so the two nodes share nothing but the data disk. A power cut kills PID 1 (every process of
 * the node dies with it) and takes the node's links down, as a machine without power answers nothing.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { run, runOk, spawnDetached, type RunOptions, type RunResult } from '../lib/exec.ts'
import { isAlive } from '../lib/process.ts'
import { until } from '../lib/wait.ts'

/** each node's own copy of these (DIR/etc/ha.d over /etc/ha.d…) */
export const PRIVATE_DIRS = ['etc/ha.d', 'etc/mon', 'var/lib/heartbeat', 'var/lib/halo', 'var/lib/mon', 'var/log', 'usr/lib/mon/alert.d']

// PID 1 of a node: a constant script; the node's name, directory, private paths and a command to start
// (after --) come as arguments. It reaps orphans, as an init must.
const INIT = `set -eu
name=$1 dir=$2; shift 2
hostname "$name"
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /srv
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
  /** the node's own copies of these (default PRIVATE_DIRS) */
  privateDirs?: readonly string[]
  /** a program its init starts once booted */
  command?: readonly string[]
}

export class VirtualNode {
  /** PID 1 of the node as the host sees it; 0 while the power is off */
  pid = 0

  constructor(
    readonly spec: NodeSpec,
    /** where the power-off at the end is registered: the demo's Scope, or a test */
    private readonly scope: { teardown(fn: () => void): void },
  ) {}

  get name(): string {
    return this.spec.name
  }

  /** the node's files on the host: DIR/etc/ha.d …, ready, reboot.log */
  get dir(): string {
    return this.spec.dir
  }

  /** argv that runs inside the node (all its namespaces) */
  enter(argv: readonly string[]): string[] {
    return ['nsenter', '-t', String(this.pid), '-m', '-u', '-n', '-p', ...argv]
  }

  exec(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run(this.enter(argv), opts)
  }

  get up(): boolean {
    return this.pid > 0 && isAlive(this.pid)
  }

  /** power on: fresh links and addresses (nothing a previous life configured), then init */
  async boot(): Promise<void> {
    const { name, netns, dir, addresses } = this.spec
    for (const [link, address] of Object.entries(addresses)) {
      await runOk(['ip', '-n', netns, 'addr', 'flush', 'dev', link])
      // with its broadcast address, as a machine's network setup gives it (Heartbeat's bcast sends there)
      await runOk(['ip', '-n', netns, 'addr', 'add', address, 'brd', '+', 'dev', link])
      await runOk(['ip', '-n', netns, 'link', 'set', link, 'up'])
    }
    mkdirSync(dir, { recursive: true })
    const ready = join(dir, 'ready')
    await run(['rm', '-f', ready])
    const privateDirs = this.spec.privateDirs ?? PRIVATE_DIRS
    const outer = spawnDetached(['ip', 'netns', 'exec', netns, 'unshare', '-m', '-u', '-p', '-f', '--mount-proc', 'bash', '-c', INIT, 'init', name, dir, ...privateDirs, '--', ...(this.spec.command ?? [])])
    // `outer` is ip(8)'s pid, which execs unshare, which forks the init: PID 1 of the new namespace
    await until(`${name} to boot`, () => {
      this.pid = childOf(outer)
      return this.pid > 0 && existsSync(ready)
    }, 10_000)
    const pid = this.pid
    this.scope.teardown(() => kill(pid))
  }

  async powerCut(): Promise<void> {
    const pid = this.pid
    process.kill(pid, 'SIGKILL')
    for (const link of Object.keys(this.spec.addresses)) await runOk(['ip', '-n', this.spec.netns, 'link', 'set', link, 'down'])
    await until(`${this.name} to lose power`, () => !isAlive(pid), 5000)
    this.pid = 0
  }
}

/** SIGKILL to PID 1, and (synchronously, so it also works from an exit handler) its end, 5 s at most */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (let i = 0; i < 500 && isAlive(pid); i++) Atomics.wait(pause, 0, 0, 10)
}

function childOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || 0
  } catch {
    return 0
  }
}
