/**
 * Local recovery: a failure of a resource (seen by halo-mon's halo-recover.alert, or told by a script)
 * restarts it in place, with what follows it in its group, as long as recovery.cf's migration-threshold
 * allows within its failure-timeout; the next failure moves the group to the peer by a standby, as
 * hb_standby would. A restart that would stop the disk or the VIP is a move, not a restart; a restart whose
 * start fails moves the group at once; a stop that fails follows the engine's stop-failure rules.
 * The counts live here, in the engine, so they outlive halo-mon's restarts; halo cleanup forgets them.
 * With recovery.cf's monitor=, the engine also runs a resource's status on that interval while this node
 * holds its group (Pacemaker's op monitor), and a resource found stopped is a failure like any other;
 * with watch=, the end of the process its pid file names is one (ha.d/process-watch.ts).
 */
import { errorMessage } from '../lib/errors.ts'
import type { Logger } from '../lib/log.ts'
import { formatDuration } from '../lib/time.ts'
import type { Answer, FailureCount } from './control.ts'
import { type FailurePolicy, type RecoveryConfig, describePolicy, findResource, policyOf, resourceName } from './config/recovery.ts'
import type { Negotiation } from './negotiation.ts'
import { ProcessWatch } from './process-watch.ts'
import type { Recorder } from './recorder.ts'
import type { Resource, ResourceManager } from './resources.ts'

type Group = { owner: string; resources: readonly Resource[] }

/** What holds the disk or the VIP: a restart that stops one of them moves the group instead. */
const PLACE_BOUND = /^(IPaddr.*|IPsrcaddr|Filesystem|drbddisk|drbd|LVM|Raid1)$/

export interface RecoveryIo {
  log: Logger
  node: string
  rm: ResourceManager
  recorder: Recorder
  negotiation: Negotiation
  groups(): readonly Group[]
  peerAlive(): boolean
  /** stops every group of the side, right to left (before it is handed to the peer) */
  release(side: 'local' | 'foreign'): Promise<boolean>
}

interface Failure {
  /** performance.now(): the window is measured on the monotonic clock */
  t: number
  at: string
}

interface Located {
  name: string
  group: Group
  index: number
  side: 'local' | 'foreign'
}

/** The disk or VIP resource a restart in place of `at` would stop, if any. */
const placeBound = (at: Located): Resource | undefined => at.group.resources.slice(at.index).find((r) => PLACE_BOUND.test(r.script))

export class Recovery {
  private readonly failures = new Map<string, Failure[]>()
  /** the engine's own monitors, by resource */
  private readonly monitors = new Map<string, NodeJS.Timeout>()
  private monitoring = false
  private cfg!: RecoveryConfig
  private readonly watch: ProcessWatch

  constructor(private readonly io: RecoveryIo) {
    this.watch = new ProcessWatch({
      log: io.log,
      watched: () => io.groups().flatMap((g) => g.resources.flatMap((r) => {
        const pidFile = policyOf(this.cfg, r).watch
        return pidFile ? [{ name: resourceName(r), pidFile }] : []
      })),
      unsettled: (name) => {
        const at = this.locate(name)
        return 'error' in at || this.io.negotiation.restartRefused(at.side) !== undefined
      },
      failed: (name, why) => void this.recover(name, `the engine's process watch: ${why}`).then((a) => !a.ok && io.log.warn(a.error)),
    })
  }

  /** recovery.cf as read at start, or again (halo-heartbeat -r): a new policy applies to the failures already counted. */
  configure(cfg: RecoveryConfig): void {
    this.cfg = cfg
    this.io.log.info(`local recovery (${cfg.file ?? 'no recovery.cf'}): default ${describePolicy(cfg.default)}${Object.entries(cfg.resources).map(([r, p]) => `; ${r} ${describePolicy(p)}`).join('')}`)
    if (this.monitoring) this.monitor()
  }

  /** Starts (again) the engine's own monitors and process watches of the resources recovery.cf names. */
  monitor(): void {
    this.stop()
    this.monitoring = true
    this.watch.start()
    for (const g of this.io.groups()) {
      for (const r of g.resources) {
        const every = policyOf(this.cfg, r).monitorMs
        if (every > 0) this.schedule(r, every)
      }
    }
  }

  stop(): void {
    this.monitoring = false
    this.watch.stop()
    for (const timer of this.monitors.values()) clearTimeout(timer)
    this.monitors.clear()
  }

  /** One status check after `every` ms, then the next: never two of the same resource at once. */
  private schedule(r: Resource, every: number): void {
    const name = resourceName(r)
    const timer = setTimeout(async () => {
      const at = this.locate(name)
      // only what this node holds, settled: a resource a transition is stopping has not failed
      if (!('error' in at) && !this.io.negotiation.restartRefused(at.side) && !(await this.io.rm.isRunning(r))) {
        const a = await this.recover(name, `the engine's monitor (status every ${formatDuration(every)})`)
        if (!a.ok) this.io.log.warn(a.error)
      }
      if (this.monitors.get(name) === timer) this.schedule(r, every)
    }, every)
    timer.unref()
    this.monitors.set(name, timer)
  }

  /** A failure of `name` was seen by `by`: restart it in place, or move its group, as the policy says. */
  async recover(name: string, by: string): Promise<Answer> {
    const at = this.locate(name)
    if ('error' in at) return at
    const policy = policyOf(this.cfg, at.group.resources[at.index])
    const refused = this.io.negotiation.restartRefused(at.side)
    if (refused) return { ok: false, error: `recover ${at.name} refused, nothing done: ${refused}` }
    const seen = this.count(at.name, policy)
    seen.push({ t: performance.now(), at: new Date().toISOString() })
    const n = seen.length
    const within = policy.windowMs === 0 ? '' : ` within ${formatDuration(policy.windowMs)}`
    const tally = `failure ${n}${within}; migration-threshold ${policy.threshold ?? 'INFINITY'}`
    this.io.log.warn(`${at.name} failed (seen by ${by}): ${tally}`)
    if (policy.threshold !== null && n > policy.threshold) {
      return this.failover(at, `${n} failure(s) of ${at.name}${within}, more than its migration-threshold ${policy.threshold}`, seen)
    }
    const bound = placeBound(at)
    if (bound) return this.failover(at, `${at.name} failed and restarting it would stop ${resourceName(bound)}`, seen)
    return this.restartInPlace(at, `failure of ${at.name} seen by ${by} (${tally})`, `; ${tally}`)
  }

  /** The admin's restart in place: no failure counted; the disk and the VIP are moved only by hb_standby. */
  async restart(name: string): Promise<Answer> {
    const at = this.locate(name)
    if ('error' in at) return at
    const bound = placeBound(at)
    if (bound) return { ok: false, error: `restart ${at.name} refused, nothing done: it would stop ${resourceName(bound)}; move the group with hb_standby instead` }
    const refused = this.io.negotiation.restartRefused(at.side)
    if (refused) return { ok: false, error: `restart ${at.name} refused, nothing done: ${refused}` }
    return this.restartInPlace(at, `restart of ${at.name} asked by the admin`)
  }

  /** Forgets the failures of one resource, or of every one. */
  cleanup(name?: string): Answer {
    let names: string[]
    if (name === undefined) {
      names = [...this.failures.keys()]
    } else {
      const at = this.locate(name)
      if ('error' in at) return at
      names = [at.name]
    }
    const forgotten = names.reduce((sum, n) => sum + (this.failures.get(n)?.length ?? 0), 0)
    for (const n of names) this.failures.delete(n)
    const what = name === undefined ? 'every resource' : names[0]
    const text = `failures of ${what} forgotten (${forgotten} counted)`
    this.io.log.info(text)
    this.io.recorder.cleanup(text, name === undefined ? undefined : names[0])
    return { ok: true, message: text }
  }

  /** Every resource of haresources, its policy and its failures within the window. */
  status(): FailureCount[] {
    return this.io.groups().flatMap((g) =>
      g.resources.map((r) => {
        const name = resourceName(r)
        const policy = policyOf(this.cfg, r)
        const seen = this.count(name, policy)
        return { resource: name, group: resourceName(g.resources[0]), count: seen.length, threshold: policy.threshold, windowMs: policy.windowMs, failures: seen.map((f) => f.at) }
      }),
    )
  }

  /** The failures of `name` still within the window (older ones are forgotten here). */
  private count(name: string, policy: FailurePolicy): Failure[] {
    const kept = (this.failures.get(name) ?? []).filter((f) => policy.windowMs === 0 || performance.now() - f.t < policy.windowMs)
    this.failures.set(name, kept)
    return kept
  }

  private locate(name: unknown): Located | { ok: false; error: string } {
    if (typeof name !== 'string' || name === '') return { ok: false, error: 'name a resource of haresources, e.g. appserver or IPaddr::10.0.0.5/24' }
    const groups = this.io.groups()
    const found = findResource(groups, name)
    if ('why' in found) return { ok: false, error: found.why }
    const group = groups.find((g) => g.resources.includes(found.resource))!
    const side = group.owner === this.io.node ? 'local' : 'foreign'
    return { name: resourceName(found.resource), group, index: group.resources.indexOf(found.resource), side }
  }

  /** Moves the group by a standby of its side; the failure just counted is taken back when it is refused. */
  private failover(at: Located, why: string, seen: Failure[]): Answer {
    const refused = this.io.negotiation.requestStandby(at.side, this.io.peerAlive(), `local recovery: ${why}`)
    if (refused) {
      seen.pop()
      return { ok: false, error: `${why}, but the group cannot move: ${refused} (failure not counted)` }
    }
    this.io.log.warn(`${why}: moving group ${resourceName(at.group.resources[0])} to the peer (standby [${at.side}])`)
    return { ok: true, message: `${why}: failover of group ${resourceName(at.group.resources[0])} (standby [${at.side}])` }
  }

  /**
   * Stops the resource and those after it in its group (right to left), starts them again (left to right).
   * A start that fails stops the side and hands it to the peer at once.
   */
  private async restartInPlace(at: Located, cause: string, note = ''): Promise<Answer> {
    const part = at.group.resources.slice(at.index)
    const names = part.map(resourceName)
    const order = `stopped ${[...names].reverse().join(', ')}; started ${names.join(', ')}`
    let answer = { ok: false, error: `restart of ${at.name} did not run` } as Answer
    const t0 = performance.now()
    const { recorder, rm } = this.io
    await this.io.negotiation.restartInPlace(at.side, `local recovery: the restart of ${at.name} failed`, async () => {
      for (const name of names) this.watch.forget(name)
      recorder.restartBegin(at.name, cause)
      try {
        if (!(await rm.giveGroup(part))) {
          const text = `restart of ${at.name}: a stop failed; the engine's stop-failure rule applies and nothing is started again`
          recorder.restartDone(false, text)
          answer = { ok: false, error: text }
          return true
        }
        if (await rm.takeGroup(part, true)) {
          const text = `${at.name} restarted in place in ${Math.round(performance.now() - t0)} ms (${order})${note}`
          recorder.restartDone(true, text)
          answer = { ok: true, message: text }
          return true
        }
        const move = this.io.peerAlive() ? 'failover of the group to the peer' : 'no peer is up to take it: the group stays stopped'
        const text = `restart of ${at.name} failed to start it again: ${move}`
        recorder.restartDone(false, text)
        answer = { ok: false, error: text }
        await this.io.release(at.side)
        return false
      } catch (e) {
        recorder.restartDone(false, `restart of ${at.name} failed: ${errorMessage(e)}`)
        throw e
      }
    })
    this.io.log.info(answer.ok ? (answer.message ?? '') : answer.error)
    return answer
  }
}
