/**
 * What the stack has set up, undone in reverse order: namespaces, mounts, loop devices, processes. Not
 * tied to tap, so the demo (installed, no test runner) and the tests share it. Undo steps are argv (run
 * synchronously, so they also run from an exit handler after Ctrl-C) or functions.
 */
import { spawnSync } from 'node:child_process'

type Step = readonly string[] | (() => void)

export class Scope {
  private readonly steps: Step[] = []

  /** registers an undo step; the last registered runs first (tap's word, so the test harness takes a Scope too) */
  teardown(step: Step): void {
    this.steps.push(step)
  }

  /** undoes everything; safe to call twice and from a process 'exit' handler */
  close(): void {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      if (typeof step === 'function') {
        try {
          step()
        } catch {
          // cleanup goes on whatever one step thinks
        }
      } else spawnSync(step[0], step.slice(1), { stdio: 'ignore', timeout: 10_000 })
    }
  }
}

/** A scope that is closed when the process ends, however it ends (Ctrl-C, TERM, an uncaught error). */
export function processScope(): Scope {
  const scope = new Scope()
  process.on('exit', () => scope.close())
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)))
  return scope
}

let counter = 0
/** a name no parallel run uses, short enough for an interface or namespace (≤ 15) */
export const uniqueName = (prefix: string): string => `${prefix}${process.pid.toString(36)}${(counter++).toString(36)}`.slice(0, 15)
