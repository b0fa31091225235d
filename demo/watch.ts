/**
 * Watches both nodes from outside, every few milliseconds, by reading their /proc (no process spawned
 * per sample): which resources each one runs (virtual IP, data disk mounted, MariaDB, application
 * server, halo-mon listening), what their engines log and every switch of their power (`power off`, `power
 * on`: from the node's power log, at the instant it records). Every change is an event on one clock; a
 * resource seen on both nodes in the same sample is a violation, kept for the caller to report.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { VirtualNode } from './node.ts'

export const RESOURCES = ['disk', 'vip', 'mysql', 'appserver', 'mon'] as const
export type ResourceName = (typeof RESOURCES)[number]

export interface Event {
  /** process.hrtime.bigint() of the sample that saw it; of a power switch, the instant the power log records */
  at: bigint
  node: string
  what: string
}

export interface Watched {
  node: VirtualNode
  /** the engine's log file, on the host */
  haLog: string
}

const hex = (port: number) => `:${port.toString(16).toUpperCase().padStart(4, '0')} `

export class Watcher {
  readonly events: Event[] = []
  readonly violations: string[] = []
  private readonly running = new Map<string, Set<ResourceName>>()
  private readonly logAt = new Map<string, number>()
  private timer?: NodeJS.Timeout
  /** host time (epoch ns) minus the monotonic clock: the power log's instants on the events' clock */
  private readonly epochOffset = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) - process.hrtime.bigint()

  constructor(
    private readonly nodes: readonly Watched[],
    private readonly probe: { vip: string; mountpoint: string; ports: Record<'mysql' | 'appserver' | 'mon', number> },
    everyMs = 10,
  ) {
    for (const { node, haLog } of nodes) for (const file of [haLog, powerLog(node)]) this.logAt.set(file, size(file))
    this.timer = setInterval(() => this.sample(), everyMs)
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** what the node runs at the last sample */
  runs(node: string): ReadonlySet<ResourceName> {
    return this.running.get(node) ?? new Set()
  }

  /** the node that runs every resource while the other runs none, if any */
  holder(): string | undefined {
    const full = this.nodes.filter(({ node }) => this.runs(node.name).size === RESOURCES.length)
    const idle = this.nodes.filter(({ node }) => this.runs(node.name).size === 0)
    return full.length === 1 && idle.length === 1 ? full[0].node.name : undefined
  }

  /** "node1 runs disk vip …; node2 runs nothing": for error messages */
  describe(): string {
    return this.nodes.map(({ node }) => `${node.name} runs ${[...this.runs(node.name)].join(' ') || 'nothing'}`).join('; ')
  }

  /** the node running the whole group, or an error saying what runs where */
  active(): string {
    const name = this.holder()
    if (name === undefined) throw new Error(`no node runs the whole group alone: ${this.describe()}`)
    return name
  }

  /** the first event since `from` that matches */
  find(from: bigint, node: string, what: string | RegExp): Event | undefined {
    return this.events.find((e) => e.at >= from && e.node === node && (typeof what === 'string' ? e.what === what : what.test(e.what)))
  }

  sample(): void {
    const at = process.hrtime.bigint()
    for (const { node, haLog } of this.nodes) {
      // read once: each read of it is four of the host's files, and this runs every 10 ms beside what is measured
      const pid = node.pid
      const now = pid > 0 ? this.resources(pid) : new Set<ResourceName>()
      const before = this.runs(node.name)
      for (const r of RESOURCES) {
        if (now.has(r) !== before.has(r)) this.events.push({ at, node: node.name, what: `${r} ${now.has(r) ? 'up' : 'down'}` })
      }
      this.running.set(node.name, now)
      for (const line of this.newLines(haLog)) this.events.push({ at, node: node.name, what: line })
      for (const [ns, event] of this.newLines(powerLog(node)).map((l) => l.split(' '))) {
        this.events.push({ at: BigInt(ns) - this.epochOffset, node: node.name, what: `power ${event}` })
      }
    }
    for (const r of RESOURCES) {
      const on = this.nodes.filter(({ node }) => this.runs(node.name).has(r)).map(({ node }) => node.name)
      if (on.length > 1) this.violations.push(`${r} runs on ${on.join(' and ')} at the same time`)
    }
  }

  private resources(pid: number): Set<ResourceName> {
    const found = new Set<ResourceName>()
    const read = (f: string) => {
      try {
        return readFileSync(`/proc/${pid}/${f}`, 'utf8')
      } catch {
        return ''
      }
    }
    if (read('mountinfo').includes(` ${this.probe.mountpoint} `)) found.add('disk')
    if (new RegExp(`\\|-- ${this.probe.vip.replaceAll('.', '\\.')}\\n\\s+/32 host LOCAL`).test(read('net/fib_trie'))) found.add('vip')
    const listening = listeningLines(pid)
    for (const [r, port] of Object.entries(this.probe.ports)) if (listening.some((l) => l.includes(hex(port)))) found.add(r as ResourceName)
    return found
  }

  /** lines the engine logged since the last sample */
  private newLines(file: string): string[] {
    const from = this.logAt.get(file) ?? 0
    const to = size(file)
    if (to <= from) return []
    const buf = Buffer.alloc(to - from)
    const fd = openSync(file, 'r')
    try {
      readSync(fd, buf, 0, buf.length, from)
    } finally {
      closeSync(fd)
    }
    const text = buf.toString()
    const complete = text.lastIndexOf('\n') + 1
    this.logAt.set(file, from + Buffer.byteLength(text.slice(0, complete)))
    return text.slice(0, complete).split('\n').filter(Boolean)
  }
}

/**
 * The listening sockets of the process's network namespace. /proc's TCP table lists them first, then walks
 * the host's whole TCP hash (every node's sockets, a server's thousands of TIME_WAITs): read a page at a
 * time, it is left at the first socket that does not listen. Whole, it took milliseconds per read, every 10
 * ms, on the CPU of what is measured.
 */
function listeningLines(pid: number): string[] {
  let fd: number
  try {
    fd = openSync(`/proc/${pid}/net/tcp`, 'r')
  } catch {
    return []
  }
  const lines: string[] = []
  try {
    const page = Buffer.alloc(4096)
    let rest = ''
    for (let n = readSync(fd, page); n > 0; n = readSync(fd, page)) {
      const text = rest + page.toString('latin1', 0, n)
      const complete = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean)
      rest = text.slice(text.lastIndexOf('\n') + 1)
      for (const line of complete) {
        const state = line.trim().split(/\s+/)[3]
        if (state === '0A') lines.push(line)
        else if (state !== 'st') return lines
      }
    }
    return lines
  } catch {
    return lines
  } finally {
    closeSync(fd)
  }
}

/** node-power's log of the node's power: "<epoch ns> on|off" per switch */
const powerLog = (node: VirtualNode) => join(node.dir, 'power.log')

function size(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}
