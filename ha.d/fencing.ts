/**
 * STONITH for the engine: the devices this node may use (ha.cf's stonith lines, fence.cf's fence agents),
 * checked at start and hourly, and the fence itself: each device able to fence the node is tried in turn
 * until one confirms; when none does, all are tried again every 5 s, for as long as the caller still wants
 * the node fenced. Every attempt is logged and kept (target, device, action, duration, result).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../lib/log.ts'
import type { Stonith } from './config/hacf.ts'
import type { FenceCf } from './fence-cf.ts'
import { FenceAgent, type FenceDevice, StonithPlugin } from './fence-devices.ts'

const FENCE_RETRY_MS = 5000
const CHECK_EVERY_MS = 3600_000
/** fences kept for the status */
const HISTORY = 20

export interface FenceRecord {
  target: string
  device: string
  where: string
  action: string
  ms: number
  ok: boolean
  said: string
  /** ISO time the attempt ended */
  at: string
}

export interface FencingStatus {
  delay: number
  devices: { type: string; where: string; action: string; targets: readonly string[]; answers?: boolean }[]
  history: FenceRecord[]
}

export interface FencingConfig {
  node: string
  nodes: readonly string[]
  hacfFile: string
  stonith: readonly Stonith[]
  fenceCf?: FenceCf
  /** the default delay: one deadtime */
  deadtime: number
}

export class Fencing {
  private readonly history: FenceRecord[] = []
  private readonly answers = new Map<FenceDevice, boolean>()
  private checkTimer?: NodeJS.Timeout
  private closed = false

  private constructor(
    private readonly devices: readonly FenceDevice[],
    /** how long a node that serves nothing lets the serving node fence first */
    readonly delay: number,
    private readonly secretDir: string,
    private readonly log: Logger,
  ) {}

  /**
   * The devices of the configuration, checked as Heartbeat checks its stonith lines (a ConfigError naming
   * file:line when one is wrong); undefined when nothing is configured: no fencing, as Heartbeat.
   */
  static async open(cfg: FencingConfig, log: Logger, runDir: string): Promise<Fencing | undefined> {
    if (cfg.stonith.length === 0 && !cfg.fenceCf?.devices.length) return undefined
    // in the engine's own /run directory (root's, tmpfs): the passwords never reach a disk, and a killed
    // engine leaves nothing behind past a reboot
    const secretDir = mkdtempSync(join(runDir, 'fence-'))
    try {
      const devices: FenceDevice[] = []
      for (const line of cfg.stonith) {
        const d = await StonithPlugin.open(line, cfg.hacfFile, cfg.node, cfg.nodes, secretDir)
        if (d) devices.push(d)
      }
      for (const line of cfg.fenceCf?.devices ?? []) devices.push(FenceAgent.open(line, cfg.fenceCf!.file))
      const fencing = new Fencing(devices, cfg.fenceCf?.delay ?? cfg.deadtime, secretDir, log)
      const open = statSync(cfg.hacfFile).mode & 0o077
      if (open && cfg.stonith.some((s) => s.params.length > 0)) log.warn(`${cfg.hacfFile}: its stonith_host lines hold passwords but others can read it: chmod 600 ${cfg.hacfFile}`)
      for (const peer of cfg.nodes.filter((n) => n !== cfg.node)) {
        if (!devices.some((d) => d.targets.includes(peer))) log.warn(`fencing is configured but no device of this node fences ${peer}: ${peer} will never be taken over from after a death`)
      }
      return fencing
    } catch (e) {
      rmSync(secretDir, { recursive: true, force: true })
      throw e
    }
  }

  /** Checks every device now and then hourly; a device that does not answer is a warning naming its line. */
  startChecks(): void {
    const checkAll = async () => {
      for (const d of this.devices) {
        const why = await d.check()
        if (this.closed) return
        const before = this.answers.get(d)
        this.answers.set(d, why === undefined)
        if (why) this.log.warn(`${d.where}: fence device ${d.type} does not answer (${why}): a node it fences cannot be taken over from until it does`)
        else if (before === false) this.log.info(`${d.where}: fence device ${d.type} answers again`)
      }
      if (!this.closed) this.checkTimer = setTimeout(() => void checkAll(), CHECK_EVERY_MS)
    }
    void checkAll()
  }

  /**
   * True when a device of `target` says its power is off: it cannot be writing, so it counts as fenced (and
   * is left off: a reset would power it on).
   */
  async poweredOff(target: string): Promise<boolean> {
    for (const d of this.devices.filter((d) => d.targets.includes(target))) {
      const t0 = performance.now()
      if (!(await d.poweredOff(target))) continue
      const ms = Math.round(performance.now() - t0)
      this.keep({ target, device: d.type, where: d.where, action: 'status', ms, ok: true, said: 'power is off', at: new Date().toISOString() })
      this.log.warn(`${target} is powered off, as ${d.type} (${d.where}) says in ${ms} ms: it cannot be writing; left off, counted as fenced`)
      return true
    }
    return false
  }

  /**
   * Fences `target`: true once a device confirmed. Tries every device of the target, then again every 5 s
   * while `wanted()` holds; false when the caller stopped wanting it (the node came back, we are leaving).
   */
  async fence(target: string, wanted: () => boolean): Promise<boolean> {
    const devices = this.devices.filter((d) => d.targets.includes(target))
    for (let round = 1; wanted() && !this.closed; round++) {
      for (const d of devices) {
        if (!wanted()) return false
        this.log.warn(`fencing ${target}: ${d.action} through ${d.type} (${d.where})`)
        const t0 = performance.now()
        const outcome = await d.fence(target)
        const ms = Math.round(performance.now() - t0)
        this.keep({ target, device: d.type, where: d.where, action: d.action, ms, ok: outcome.ok, said: outcome.said, at: new Date().toISOString() })
        if (outcome.ok) {
          this.log.warn(`fenced ${target}: ${d.action} through ${d.type} (${d.where}) confirmed in ${ms} ms`)
          return true
        }
        this.log.err(`fencing ${target} through ${d.type} (${d.where}) failed after ${ms} ms: ${outcome.said || 'no reason given'}`)
      }
      const why = devices.length === 0 ? 'no device of this node fences it' : `every device failed (attempt ${round})`
      this.log.err(`${target} is not fenced (${why}): nothing it held is taken over; trying again in ${FENCE_RETRY_MS / 1000} s`)
      await sleep(FENCE_RETRY_MS, undefined, { ref: false })
    }
    return false
  }

  /** for the event history: told of every fence attempt and power check that found the node off */
  onRecord?: (r: FenceRecord) => void

  private keep(r: FenceRecord): void {
    this.onRecord?.(r)
    this.history.push(r)
    if (this.history.length > HISTORY) this.history.shift()
  }

  status(): FencingStatus {
    return {
      delay: this.delay,
      devices: this.devices.map((d) => ({ type: d.type, where: d.where, action: d.action, targets: d.targets, answers: this.answers.get(d) })),
      history: [...this.history],
    }
  }

  close(): void {
    this.closed = true
    clearTimeout(this.checkTimer)
    rmSync(this.secretDir, { recursive: true, force: true })
  }
}
