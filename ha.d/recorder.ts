/**
 * What the engine tells the event history (history.ts): each transition as one event, and a takeover with
 * its timeline as `halo demo` tells a failover: the peer last heard, declared dead, fenced, each resource
 * started (disk, VIP, database, application), everything running. The times are the wall clock's; the
 * steps' `ms` come from the monotonic clock, so a clock step during a failover does not reorder them.
 */
import type { FenceRecord } from './fencing.ts'
import type { HistoryEvent, Journal, TimelineStep } from './history.ts'
import type { Resource } from './resources.ts'

const describe = (r: Resource) => [r.script, ...r.args].join('::')

/** A resource started, in the words of `halo demo`'s timeline where halo knows the script. */
export function startedWords(r: Resource): string {
  const [a0 = '', a1 = ''] = r.args
  switch (r.script) {
    case 'drbddisk':
    case 'drbd':
      return `DRBD disk ${a0 || 'all'} primary`
    case 'Filesystem':
      return `data disk ${a0} mounted on ${a1}`
    case 'IPaddr':
    case 'IPaddr2':
      return `virtual IP ${a0.split('/')[0]} up`
    case 'mysql':
    case 'mariadb':
      return 'database started'
    case 'appserver':
      return 'application server started'
  }
  return `${describe(r)} started`
}

/** The negotiation's transitions that are failovers, and why, in the admin's words. */
const TAKEOVERS: Record<string, string> = {
  'take over': 'declared dead',
  'take over from a node that shut down': 'shut down',
  'standby takeover': 'went standby',
}

/** Steps timed from a first one: the monotonic `t0`, and the wall clock then. */
interface Timeline {
  t0: number
  at0: Date
  steps: TimelineStep[]
}

interface Pending extends Timeline {
  peer: string
  failed: boolean
  /** the peer was never heard from since this engine started: a start alone, not a failover */
  alone: boolean
  /** the sides of haresources taken (ours, the peer's) */
  sides: Set<'local' | 'foreign'>
}

export class Recorder {
  private pending?: Pending
  /** a restart in place under way: its timeline */
  private restarting?: Timeline & { resource: string }

  constructor(
    private readonly node: string,
    private readonly journal: Journal | undefined,
    /** each event as it is recorded (the metrics' tally) */
    private readonly onEvent?: (e: HistoryEvent) => void,
  ) {}

  private record(e: Omit<HistoryEvent, 'at' | 'node'>, at = new Date()): void {
    const event = { at: at.toISOString(), node: this.node, ...e }
    this.journal?.record(event)
    this.onEvent?.(event)
  }

  /** A failover starts: its first step dated `ago` ms before now (the peer's last heartbeat). */
  private begin(peer: string, what: string, ago = 0, alone = false): void {
    const now = performance.now()
    this.pending = { peer, t0: now - ago, at0: new Date(Date.now() - ago), steps: [], failed: false, alone, sides: new Set() }
    this.step(what, now - ago)
  }

  private step(what: string, t = performance.now()): void {
    this.stepOn(this.pending, what, t)
  }

  private stepOn(p: Timeline | undefined, what: string, t = performance.now()): void {
    if (!p) return
    const ms = Math.max(0, Math.round(t - p.t0))
    p.steps.push({ at: new Date(p.at0.getTime() + ms).toISOString(), ms, what })
  }

  engineStart(generation: number): void {
    this.record({ kind: 'engine-start', text: `halo-heartbeat started on ${this.node} (generation ${generation})` })
  }

  engineStop(): void {
    this.record({ kind: 'engine-stop', text: `halo-heartbeat on ${this.node} left the cluster` })
  }

  /** `silentMs`: how long since its last heartbeat; `deadtime`: what it was allowed. */
  nodeDead(peer: string, silentMs: number | undefined, deadtime: number): void {
    if (silentMs === undefined) {
      this.record({ kind: 'node-dead', peer, text: `node ${peer} is not up (never heard from since this node started)` })
      return this.begin(peer, `node ${peer} not heard from since this node started`, 0, true)
    }
    this.record({ kind: 'node-dead', peer, ms: Math.round(silentMs), text: `node ${peer} is dead (silent for ${Math.round(silentMs)} ms; deadtime ${deadtime} ms)` })
    this.begin(peer, `last heartbeat from ${peer}`, silentMs)
    this.step(`node ${peer} declared dead (deadtime ${deadtime} ms)`)
  }

  /** The peer said shutdone: dead at once, without a deadtime. */
  nodeLeft(peer: string): void {
    this.record({ kind: 'node-dead', peer, text: `node ${peer} left the cluster (it shut down cleanly)` })
  }

  /** The peer came back with a new generation while we thought it alive: it restarted, so it lost what it ran. */
  nodeRestarted(peer: string): void {
    this.record({ kind: 'node-dead', peer, text: `node ${peer} restarted (a new generation without being declared dead): it lost what it ran` })
    this.begin(peer, `node ${peer} restarted`)
  }

  nodeUp(peer: string): void {
    this.record({ kind: 'node-up', peer, text: `node ${peer} is up` })
    // a peer back before anything was taken over: there is no failover to tell
    if (this.pending?.peer === peer && this.pending.steps.length <= 2) this.pending = undefined
  }

  /** The peer said shutdone: it handed everything over. */
  peerShutdown(peer: string): void {
    this.begin(peer, `node ${peer} shut down and handed its groups over`)
  }

  /** The peer asked to go standby: we take what it gives. */
  peerStandby(peer: string, set: string): void {
    this.begin(peer, `node ${peer} asked to go standby [${set}]`)
  }

  partitionHealed(peer: string): void {
    this.record({ kind: 'partition-healed', peer, text: `partition healed: node ${peer} came back with the same generation (it never stopped); each node gives back what it took over` })
  }

  fence(r: FenceRecord): void {
    const how = `${r.action} through ${r.device} (${r.where})`
    const text =
      r.action === 'status'
        ? `${r.target} found powered off by ${r.device} (${r.where}) in ${r.ms} ms: counted as fenced`
        : r.ok
          ? `fenced ${r.target}: ${how}, confirmed in ${r.ms} ms`
          : `fencing ${r.target} failed: ${how} after ${r.ms} ms${r.said ? `: ${r.said}` : ''}`
    this.record({ kind: 'fence', peer: r.target, ok: r.ok, ms: r.ms, text })
    if (this.pending?.peer === r.target) this.step(text)
  }

  /** This node asks to give `set` to its peer; `origin` says who asked. */
  standby(set: string, origin: string): void {
    this.pending = undefined
    this.record({ kind: 'standby', set, origin, text: `going standby [${set}], asked by ${origin}` })
  }

  started(r: Resource): void {
    this.step(startedWords(r))
    this.stepOn(this.restarting, startedWords(r))
  }

  stopped(r: Resource): void {
    this.stepOn(this.restarting, `${describe(r)} stopped`)
  }

  /** A restart in place of `resource` (and what follows it in its group) begins, because of `cause`. */
  restartBegin(resource: string, cause: string): void {
    const now = performance.now()
    this.restarting = { t0: now, at0: new Date(), steps: [], resource }
    this.stepOn(this.restarting, cause, now)
  }

  /** The restart in place ended: `ok` when everything runs again; `text` says how it went. */
  restartDone(ok: boolean, text: string): void {
    const p = this.restarting
    if (!p) return
    this.restarting = undefined
    this.stepOn(p, ok ? 'everything running again' : text)
    const ms = p.steps[p.steps.length - 1].ms
    this.record({ kind: 'restart', resource: p.resource, ok, ms, timeline: p.steps, text })
  }

  /** The failures counted of `resource` (or of every resource) were forgotten. */
  cleanup(text: string, resource?: string): void {
    this.record({ kind: 'cleanup', resource, text })
  }

  failed(r: Resource, action: 'start' | 'stop', why: string): void {
    this.record({ kind: action === 'start' ? 'start-failed' : 'stop-failed', resource: describe(r), text: `${describe(r)} failed to ${action}: ${why}` })
    if (this.pending && action === 'start') {
      this.pending.failed = true
      this.step(`${describe(r)} failed to start`)
    }
  }

  groupsTaken(side: 'local' | 'foreign'): void {
    this.pending?.sides.add(side)
  }

  /** The negotiation finished a transition: a takeover closes its timeline. */
  transitionDone(what: string): void {
    const cause = TAKEOVERS[what]
    const p = this.pending
    if (!cause || !p) return
    const set = p.sides.size === 2 ? 'all' : ([...p.sides][0] ?? 'none')
    this.step(p.failed ? 'takeover done, not everything started' : 'everything running: the service answers here')
    this.pending = undefined
    const ms = p.steps[p.steps.length - 1].ms
    if (p.alone) {
      return this.record({ kind: 'start-alone', peer: p.peer, set, ok: !p.failed, ms, timeline: p.steps, text: `started without ${p.peer} and took [${set}] in ${ms} ms${p.failed ? '; a resource failed to start' : ''}` })
    }
    const text = `took over [${set}] from ${p.peer} (${p.peer} ${cause}) in ${ms} ms${p.failed ? '; a resource failed to start' : ''}`
    this.record({ kind: 'takeover', peer: p.peer, set, cause: `${p.peer} ${cause}`, ok: !p.failed, ms, timeline: p.steps, text })
  }
}
