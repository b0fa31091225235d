/**
 * Power cuts of the example stack (demo/stack.ts), halo's or the real Heartbeat 3.0.6's: each cut of the
 * node serving → the client's next successful commit through the virtual IP; the cut node boots again and
 * joins as the standby, and the next run cuts the other one. The stack is torn down after. Shared by
 * bench/stack.ts and bench/pacemaker.ts (halo's column).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { STARTUP_DT_WINDOW_MS } from '../../ha.d/engine.ts'
import { ms, powerCut, rejoin, startClient } from '../../demo/scenario.ts'
import type { ClosableScope } from '../../demo/scope.ts'
import { type Stack, type StackOptions, buildStack } from '../../demo/stack.ts'

export const bin = fileURLToPath(new URL('../../dist/bin', import.meta.url))

/** ms from each power cut to the next commit; `before` runs once the stack serves, before the first cut */
export async function stackCuts(engine: NonNullable<StackOptions['engine']>, runs: number, scope: ClosableScope, before?: (stack: Stack) => Promise<void>): Promise<number[]> {
  try {
    const stack = await buildStack({ bin, scope, engine, say: (s) => console.error(`# ${engine}: ${s}`) })
    const client = startClient(stack, bin, scope)
    await client.commitAfter(0n)
    if (before) await before(stack)
    const took: number[] = []
    let booted = performance.now()
    for (let i = 0; i < runs; i++) {
      // a node's first seconds it advertises deadtime + 2 s (as Heartbeat does): a real power cut does not
      // come that soon after a boot, so the cut waits the window out
      await sleep(Math.max(0, booted + STARTUP_DT_WINDOW_MS + 500 - performance.now()))
      const cut = await powerCut(stack, client)
      took.push(ms(cut.at, cut.served))
      console.error(`# ${engine} run ${i + 1}: ${cut.from} cut, ${cut.to} served a commit after ${took.at(-1)!.toFixed(0)} ms`)
      await rejoin(stack, stack.node(cut.from))
      booted = performance.now()
    }
    client.stop()
    if (stack.watcher.violations.length) console.log(`WARNING (${engine}): ${stack.watcher.violations[0]}`)
    return took
  } finally {
    scope.close()
  }
}
