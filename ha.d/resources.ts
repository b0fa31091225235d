/**
 * The resource manager: runs haresources groups the way Heartbeat's ResourceManager does, so any script
 * in /etc/ha.d/resource.d or /etc/init.d works unchanged. Start left→right (skipping what already runs),
 * stop right→left; a failed start stops the group again; a stop that keeps failing escalates.
 */
import { findExecutable } from '../lib/which.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { HaloError, errorMessage } from '../lib/errors.ts'
import { describeFailure, run } from '../lib/exec.ts'
import type { Logger } from '../lib/log.ts'
import type { WarmNode } from './warm-node.ts'

/** One resource of a haresources line: `IPaddr::10.0.0.5/24` is { script: 'IPaddr', args: ['10.0.0.5/24'] }. */
export interface Resource {
  script: string
  args: readonly string[]
}

/** What to do when a resource cannot be stopped: Heartbeat reboots, which is right for production only. */
export type LastResort = 'reboot' | 'exit' | 'log'

export interface ResourceManagerOptions {
  log: Logger
  /** where scripts are looked up, in order */
  scriptDirs: readonly string[]
  /** the environment scripts get: HA_CURHOST, HA_LOGFILE, HA_<ha.cf parameter>... */
  env: NodeJS.ProcessEnv
  stopTries?: number
  stopRetryMs?: number
  lastResort?: LastResort
  /** called for the 'exit' last resort */
  onGiveUp?: (why: string) => void
  /** for the event history: a resource started, or failed to start or stop */
  onStarted?: (r: Resource) => void
  onStopped?: (r: Resource) => void
  onFailed?: (r: Resource, action: 'start' | 'stop', why: string) => void
  /** where halo's own agents run, started ahead (ha.d/warm-node.ts); other scripts are spawned as ever */
  warm?: WarmNode
}

const describe = (r: Resource) => [r.script, ...r.args].join('::')

/** ResourceManager's reading of `status` output; the exit code means nothing to it. */
export function statusSaysRunning(stdout: string): boolean {
  if (/[Nn][Oo][Tt] *[Rr]unning/.test(stdout)) return false
  return /[Rr]unning|OK/.test(stdout)
}

export class ResourceManager {
  constructor(private readonly opts: ResourceManagerOptions) {}

  /** The script's full path; a HaloError names the resource when it is missing or not executable. */
  scriptPath(r: Resource): string {
    const path = findExecutable(r.script, this.opts.scriptDirs)
    if (path) return path
    throw new HaloError(1, `resource ${describe(r)}: no executable ${r.script} in ${this.opts.scriptDirs.join(' or ')}`)
  }

  private async call(r: Resource, action: 'start' | 'stop' | 'status') {
    const argv = [this.scriptPath(r), ...r.args, action]
    this.opts.log.debug(`running ${argv.join(' ')}`)
    // as ResourceManager: the script's exit is the end of the action, whatever it left running (IPaddr's ARP sender)
    const opts = { env: this.opts.env, untilExit: true }
    return this.opts.warm ? this.opts.warm.run(argv, opts) : run(argv, opts)
  }

  /** Runs start or stop; undefined when it succeeded, else why not. */
  private async attempt(r: Resource, action: 'start' | 'stop'): Promise<string | undefined> {
    try {
      const res = await this.call(r, action)
      return res.code === 0 ? undefined : describeFailure(res)
    } catch (e) {
      return errorMessage(e)
    }
  }

  /** A script that cannot even be run cannot have started anything: not running, and the reason logged. */
  async isRunning(r: Resource): Promise<boolean> {
    try {
      return statusSaysRunning((await this.call(r, 'status')).stdout)
    } catch (e) {
      this.opts.log.err(errorMessage(e))
      return false
    }
  }

  /**
   * Starts a group; on the first failure stops what it started (right→left) and returns false.
   * `justStopped`: this engine has just stopped every one of them cleanly (a restart in place), so no
   * status is asked first: one agent run less per resource in the outage.
   */
  async takeGroup(group: readonly Resource[], justStopped = false): Promise<boolean> {
    const t0 = performance.now()
    for (const [i, r] of group.entries()) {
      if (!justStopped && (await this.isRunning(r))) {
        this.opts.log.info(`${describe(r)} is already running`)
        continue
      }
      const t = performance.now()
      const why = await this.attempt(r, 'start')
      if (why !== undefined) {
        this.opts.log.err(`${describe(r)} failed to start (${why}); stopping the group again`)
        this.opts.onFailed?.(r, 'start', why)
        await this.giveGroup(group.slice(0, i + 1))
        return false
      }
      this.opts.log.info(`${describe(r)} started in ${ms(t)}`)
      this.opts.onStarted?.(r)
    }
    this.opts.log.info(`group ${describe(group[0])} running (${ms(t0)})`)
    return true
  }

  /** Stops a group right→left. A stop that fails is retried; if the resource still runs, the last resort. */
  async giveGroup(group: readonly Resource[]): Promise<boolean> {
    const t0 = performance.now()
    let clean = true
    for (const r of [...group].reverse()) {
      if (!(await this.stopOne(r))) clean = false
    }
    this.opts.log.info(`group ${describe(group[0])} stopped (${ms(t0)})`)
    return clean
  }

  private async stopOne(r: Resource): Promise<boolean> {
    const tries = this.opts.stopTries ?? 10
    const t = performance.now()
    let last = ''
    for (let i = 1; i <= tries; i++) {
      const why = await this.attempt(r, 'stop')
      if (why === undefined) {
        this.opts.log.info(`${describe(r)} stopped in ${ms(t)}`)
        this.opts.onStopped?.(r)
        return true
      }
      last = why
      this.opts.log.warn(`${describe(r)} failed to stop (try ${i} of ${tries}: ${last})`)
      if (i < tries) await sleep(this.opts.stopRetryMs ?? 1000)
    }
    if (!(await this.isRunning(r))) return true
    this.opts.onFailed?.(r, 'stop', `${last}; tried ${tries} times`)
    this.giveUp(`${describe(r)} cannot be stopped (${last}) and still runs`)
    return false
  }

  private giveUp(why: string): void {
    const resort = this.opts.lastResort ?? 'reboot'
    this.opts.log.err(`${why}: last resort ${resort}`)
    if (resort === 'reboot') {
      // As Heartbeat: the node must not keep a resource its peer is about to take; rebooting releases it.
      void run(['reboot', '-f'], { env: this.opts.env })
    } else if (resort === 'exit') {
      this.opts.onGiveUp?.(why)
    }
  }
}

const ms = (t0: number) => `${Math.round(performance.now() - t0)} ms`
