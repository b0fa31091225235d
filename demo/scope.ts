/**
 * What the lab has set up (namespaces, mounts, loop devices, processes) is undone in reverse order when its
 * scope ends, and also when the process ends first, however it ends (Ctrl-C, tap's timeout, TERM, HUP, an
 * uncaught error): argv steps registered with atEnd run then, synchronously, as do the steps of every
 * ClosableScope not yet closed. A scope is a tap Test (through test/harness) or a ClosableScope (the demo,
 * the benchmarks); neither knows of the other.
 */
import { spawnSync } from 'node:child_process'

/** Where undo steps go: tap's Test is one. */
export interface Scope {
  /** registers an undo step; the last registered runs first */
  teardown(fn: () => unknown): void
  /** tap's: whether the test still passes (a failed scenario prints the engines' logs) */
  passing?(): boolean
  comment?(...message: unknown[]): void
}

type Argv = readonly string[]
/** atEnd's steps that have not run yet, of every scope, in the order registered */
const pending = new Set<Argv>()
/** ClosableScopes not closed yet */
const open = new Set<ClosableScope>()

let armed = false
/** From the first registration on, a signal ends the process through its exit handlers, which undo what is left. */
function arm(): void {
  if (armed) return
  armed = true
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) process.once(sig, () => process.exit(code))
  process.on('exit', () => {
    for (const scope of [...open].reverse()) scope.close()
    for (const step of [...pending].reverse()) runStep(step)
  })
}

function runStep(step: Argv): void {
  pending.delete(step)
  spawnSync(step[0], step.slice(1), { stdio: 'ignore', timeout: 10_000 })
}

/**
 * Runs argv when the scope ends, or when the process exits before that, once; in reverse order of
 * registration. The function returned runs it now instead (for what is undone as soon as it has served).
 */
export function atEnd(scope: Scope, argv: Argv): () => void {
  arm()
  pending.add(argv)
  const once = () => {
    if (pending.has(argv)) runStep(argv)
  }
  scope.teardown(once)
  return once
}

/**
 * A scope of its own, for a program without a test runner: close() undoes everything, as does the process's
 * end. It may be used again after close().
 */
export class ClosableScope implements Scope {
  private readonly steps: (() => unknown)[] = []

  constructor() {
    arm()
  }

  teardown(fn: () => unknown): void {
    open.add(this)
    this.steps.push(fn)
  }

  /** undoes everything; safe to call twice and from a process 'exit' handler */
  close(): void {
    open.delete(this)
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        step()
      } catch {
        // cleanup goes on whatever one step thinks
      }
    }
  }
}

let counter = 0
/** A name no other part of this run or of a parallel run uses; short enough for an interface or namespace (≤ 15). */
export const uniqueName = (prefix: string): string => `${prefix}${process.pid.toString(36)}${(counter++).toString(36)}`.slice(0, 15)
