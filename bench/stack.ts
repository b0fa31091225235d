// bench/stack: the whole example cluster (demo/stack.ts): power cut of the node serving → the client's
// next successful commit through the virtual IP, keepalive 200ms, deadtime 1 (the example's ha.cf).
// The cut node boots again and joins as the standby; the next run cuts the other one.
//   npm run bench:stack [-- --runs N]      (default 10; root; needs the programs built into dist/)
// Goal: median under 1.5 s. Real Heartbeat 3.0.6 with resource-agents' scripts is not measured here yet.
import { fileURLToPath } from 'node:url'
import { ms, powerCut, rejoin, startClient } from '../demo/scenario.ts'
import { processScope } from '../demo/scope.ts'
import { buildStack } from '../demo/stack.ts'
import { median, printTable } from './lib/measure.ts'

const GOAL_MS = 1500
const args = process.argv.slice(2)
const runsAt = args.indexOf('--runs')
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 10
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number')

const bin = fileURLToPath(new URL('../dist/bin', import.meta.url))
const scope = processScope()
const stack = await buildStack({ bin, scope, say: (s) => console.error(`# ${s}`) })
const client = startClient(stack, bin, scope)
await client.commitAfter(0n)

const took: number[] = []
for (let i = 0; i < runs; i++) {
  const cut = await powerCut(stack, client)
  took.push(ms(cut.at, cut.served))
  console.error(`# run ${i + 1}: ${cut.from} cut, ${cut.to} served a commit after ${took.at(-1)!.toFixed(0)} ms`)
  await rejoin(stack, stack.node(cut.from))
}
client.stop()
if (stack.watcher.violations.length) console.log(`WARNING: ${stack.watcher.violations[0]}`)
printTable('power cut → next commit through the virtual IP (keepalive 200ms, deadtime 1)', [{ what: 'halo (engine + agents)', halo: median(took) }], runs)
console.log(`min ${Math.min(...took).toFixed(0)} ms, max ${Math.max(...took).toFixed(0)} ms`)
console.log(`${median(took) < GOAL_MS ? 'PASS' : 'FAIL'}: median ${median(took).toFixed(0)} ms, goal under ${GOAL_MS} ms`)
scope.close()
