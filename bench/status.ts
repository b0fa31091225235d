// bench/status: the wall time of `halo status` (text, as an admin runs it) inside a node of a running
// two-node halo cluster at home (keepalive 200ms, deadtime 1, `nodea hbtest::r1 hbtest::r2`, `nodeb
// hbtest::r3`): the engine's answer, three resource status scripts, halo-mon's port; median of N runs.
// nsenter's own cost (entering the node) and Node's bare start are measured alone and shown beside it. Goal: 300 ms.
//   npm run bench:status [-- --runs 10]
// Needs root and `npm run build` (halo, halo-heartbeat, cl_status, hb_standby, hb_takeover).
import { ClosableScope } from '../demo/scope.ts'
import { bin, cluster } from '../demo/hbtest/cluster.ts'
import { atHome } from '../demo/hbtest/scenario.ts'
import { median, numberFlag, timeOnce } from './lib/measure.ts'

const runs = numberFlag('runs', 10)
const GOAL_MS = 300

async function main(): Promise<number> {
  const s = new ClosableScope()
  try {
    const [a, b] = await cluster(s)
    await Promise.all([a.boot(), b.boot()])
    await atHome(a, b)
    const status: number[] = []
    const enter: number[] = []
    const node: number[] = []
    for (let i = 0; i < runs; i++) {
      status.push(await timeOnce(a.vm.enter([bin('halo'), 'status']), process.env))
      enter.push(await timeOnce(a.vm.enter(['true']), process.env))
      node.push(await timeOnce(a.vm.enter([process.execPath, '-e', '0']), process.env))
    }
    const f = (ms: number) => `${ms.toFixed(0).padStart(5)} ms`
    console.log(`\nhalo status on nodea, cluster at home, ${runs} runs (median, min, max)`)
    console.log(`halo status (through nsenter) ${f(median(status))} ${f(Math.min(...status))} ${f(Math.max(...status))}`)
    console.log(`nsenter true alone            ${f(median(enter))} ${f(Math.min(...enter))} ${f(Math.max(...enter))}`)
    // the machine's own pace: Node's bare start, which every halo command pays (50 ms on an idle machine)
    console.log(`node -e 0 (through nsenter)   ${f(median(node))} ${f(Math.min(...node))} ${f(Math.max(...node))}`)
    const ok = median(status) <= GOAL_MS
    console.log(`\n${ok ? 'PASS' : 'FAIL'}  halo status within ${GOAL_MS} ms (median)`)
    return ok ? 0 : 1
  } finally {
    await s.close()
  }
}

process.exitCode = await main()
