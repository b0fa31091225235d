/**
 * Nodes started ahead for halo's own agents. Each agent run is a new Node, whose own start-up (50 ms here,
 * more on a busy node) would come first in every start and stop of a failover or a restart in place; the
 * engine keeps WAITING Nodes started and waiting (ha.d/bin/warm-node.ts: 6 MB each of their own, the rest
 * of their 40 MB the node binary they share with the engine) and hands each the next agent run. They are
 * started again once the engine has run no agent for REFILL_MS: a start-up in the middle of a failover
 * would take the CPU from the agents that run it. Only programs of halo's own agents directory run in
 * them, with the one environment they were started with, and with no more than run()'s untilExit:
 * anything else is spawned as ever, and so is a run that finds no Node waiting.
 */
import { type ChildProcess } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import type { Socket } from 'node:net'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { childProcess, closeOutput, outputFile, run, settle, type RunOptions, type RunResult } from '../lib/exec.ts'
import { isAlive } from '../lib/process.ts'

interface Waiting {
  child: ChildProcess
  outFile: number
  errFile: number
  /** where it tells its exit code as it exits (ha.d/bin/warm-node.ts) */
  told: Socket
}

/** a restart in place's stop and start of the failed resource */
const WAITING = 2
const REFILL_MS = 250

export class WarmNode {
  private readonly waiting: Waiting[] = []
  private readonly agentsDir?: string
  private refill?: NodeJS.Timeout

  /** `bin`: where the engine's program and warm-node are (dist/bin), beside halo's agents (dist/agents) */
  constructor(private readonly env: NodeJS.ProcessEnv, private readonly bin = fileURLToPath(new URL('.', import.meta.url))) {
    if (existsSync(join(bin, 'warm-node')) && existsSync(join(bin, '../agents'))) this.agentsDir = realpathSync(join(bin, '../agents')) + sep
  }

  /** Whether argv[0] runs in a waiting Node: one of halo's agents. */
  private fits(program: string): boolean {
    if (this.agentsDir === undefined) return false
    try {
      return realpathSync(program).startsWith(this.agentsDir)
    } catch {
      return false
    }
  }

  /**
   * Runs argv as run() would: in a waiting Node when it is one of halo's agents (the first agent run has
   * none: an engine that runs no agent keeps none).
   */
  async run(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
    if (!this.fitsOptions(opts) || !this.fits(argv[0])) return run(argv, opts)
    clearTimeout(this.refill)
    const w = this.take()
    try {
      if (!w) return await run(argv, opts)
      // awaited now, as any agent run
      w.child.ref()
      w.child.stdin!.end(`${JSON.stringify(argv)}\n`)
      return await settle(w.child, argv, opts, w, w.told)
    } finally {
      clearTimeout(this.refill)
      this.refill = setTimeout(() => this.fill(), REFILL_MS).unref()
    }
  }

  /** Ends the waiting Nodes (the engine leaves). */
  close(): void {
    clearTimeout(this.refill)
    for (const w of this.waiting.splice(0)) {
      w.child.stdin!.end()
      closeOutput(w)
    }
  }

  private fill(): void {
    while (this.waiting.length < WAITING) this.prepare()
  }

  private prepare(): void {
    const outFile = outputFile()
    const errFile = outputFile()
    const child = childProcess().spawn(process.execPath, [join(this.bin, 'warm-node')], { env: this.env, stdio: ['pipe', outFile, errFile, 'pipe'] })
    child.on('error', () => {})
    child.stdin!.on('error', () => {})
    const told = child.stdio[3] as Socket
    // it waits on its stdin for ever: not a reason for the engine to stay
    child.unref()
    ;(child.stdin as Socket).unref()
    told.unref()
    this.waiting.push({ child, outFile, errFile, told })
  }

  private fitsOptions(opts: RunOptions): boolean {
    return opts.env === this.env && opts.untilExit === true && opts.uid === undefined && opts.gid === undefined && opts.cwd === undefined && opts.input === undefined && !opts.mergeStderr && !opts.processGroup
  }

  /** the oldest waiting Node still alive (killed but not yet reaped is dead too); the dead ones are dropped */
  private take(): Waiting | undefined {
    for (let w = this.waiting.shift(); w; w = this.waiting.shift()) {
      if (w.child.exitCode === null && w.child.signalCode === null && w.child.pid !== undefined && isAlive(w.child.pid)) return w
      closeOutput(w)
    }
    return undefined
  }
}
