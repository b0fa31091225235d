// bench/stack: the whole example cluster (demo/stack.ts): power cut of the node serving → the client's
// next successful commit through the virtual IP, keepalive 200ms, deadtime 1 (the example's ha.cf).
// The cut node boots again and joins as the standby; the next run cuts the other one. Measured on halo,
// then on the same stack run by the real Heartbeat 3.0.6 with the Debian packages' scripts
// (resource-agents' mysql through OCF::, the v1 IPaddr and Filesystem, an init script for the server).
// Both fence through the nodes' BMCs with the example's stonith_host lines: halo asks the cut node's BMC,
// finds it off and leaves it off; Heartbeat resets it (so the cut node boots again on its own).
//   npm run bench:stack [-- --runs N]      (default 10; root; needs the programs built into dist/)
// Goal: halo's median under 1.5 s.
import { ClosableScope } from '../demo/scope.ts'
import { stackCuts } from './lib/stack-cuts.ts'
import { median, printTable } from './lib/measure.ts'

const GOAL_MS = 1500
const args = process.argv.slice(2)
const runsAt = args.indexOf('--runs')
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 10
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number')

const scope = new ClosableScope()
const measure = (engine: 'halo' | 'heartbeat', s: ClosableScope) => stackCuts(engine, runs, s)

const halo = await measure('halo', scope)
// Heartbeat's column is a comparison: if it cannot be measured, halo's figure and goal still stand
const theirs = await measure('heartbeat', scope).catch((e: Error) => (console.log(`Heartbeat 3.0.6 not measured: ${e.message}`), undefined))
printTable('power cut → next commit through the virtual IP (keepalive 200ms, deadtime 1)', [
  { what: 'whole stack', halo: median(halo), theirs: theirs && median(theirs), against: 'Heartbeat 3.0.6 + resource-agents' },
], runs)
for (const [who, took] of [['halo', halo], ['Heartbeat', theirs]] as const) {
  if (took) console.log(`${who}: min ${Math.min(...took).toFixed(0)} ms, max ${Math.max(...took).toFixed(0)} ms`)
}
console.log(`${median(halo) < GOAL_MS ? 'PASS' : 'FAIL'}: halo's median ${median(halo).toFixed(0)} ms, goal under ${GOAL_MS} ms`)
