/**
 * Cleanup that happens even when a test fails or is killed: each registered step runs at the test's
 * teardown, and whatever has not run by then runs synchronously when the process exits (tap's timeout
 * sends SIGTERM, which we turn into an exit).
 */
import { spawnSync } from 'node:child_process'

/** What the harness needs of a tap Test; a benchmark passes its own, so bench/ reuses the harness without tap. */
export interface Scope {
  teardown(fn: () => unknown): void
  /** tap's: whether the test still passes (a failed scenario prints the engines' logs) */
  passing?(): boolean
  comment?(...message: unknown[]): void
}

type Step = readonly string[]
const pending = new Set<Step>()

process.once('SIGTERM', () => process.exit(143))
process.once('SIGINT', () => process.exit(130))
process.on('exit', () => {
  for (const step of [...pending].reverse()) runStep(step)
})

function runStep(step: Step): void {
  pending.delete(step)
  spawnSync(step[0], step.slice(1), { stdio: 'ignore', timeout: 10_000 })
}

/** Runs argv when the test ends (or the process exits), in reverse order of registration. */
export function atEnd(t: Scope, argv: readonly string[]): void {
  pending.add(argv)
  t.teardown(() => {
    if (pending.has(argv)) runStep(argv)
  })
}

let counter = 0
/** A name no other test of this run or of a parallel run uses; short enough for an interface (≤ 15). */
export function uniqueName(prefix: string): string {
  return `${prefix}${process.pid.toString(36)}${(counter++).toString(36)}`.slice(0, 15)
}
