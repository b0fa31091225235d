// bench/loss: false deaths on a lossy heartbeat link, a halo pair and a Heartbeat 3.0.6 pair side by side
// (run at the same time, same ha.cf: keepalive 200ms, deadtime 1, bcast, sha1), with 30 % and then 60 % of
// each node's heartbeat datagrams from its peer dropped for 60 s. Goal: halo declares no more deaths than
// Heartbeat at each loss (PASS/FAIL).
//   npm run bench:loss [-- --seconds 60 --loss 30,60]
// Needs root and `node build.ts halo-heartbeat cl_status hb_standby hb_takeover`.
import { type LossFigures, falseDeaths } from './fence/loss.ts'
import { flag, numberFlag } from './lib/measure.ts'

const seconds = numberFlag('seconds', 60)
const losses = flag('loss', '30,60').split(',').map(Number)

const total = (f: LossFigures) => Object.values(f.deaths).reduce((a, b) => a + b, 0)
const perNode = (f: LossFigures) => Object.entries(f.deaths).map(([n, d]) => `${n} ${d}`).join(', ')

async function main(): Promise<void> {
  const rows: [LossFigures, LossFigures][] = []
  for (const loss of losses) {
    process.stderr.write(`${loss} % loss for ${seconds} s, halo and Heartbeat pairs at once…\n`)
    rows.push(await Promise.all([falseDeaths('halo', loss, seconds), falseDeaths('heartbeat', loss, seconds)]))
  }
  console.log(`\nfalse deaths on a lossy link (${seconds} s, keepalive 200ms, deadtime 1; deaths declared by either node)`)
  console.log(`${'loss'.padEnd(6)} ${'halo'.padStart(5)} ${'Heartbeat'.padStart(10)} ${'takeovers h/H'.padStart(14)}  verdict   by node (halo | Heartbeat)`)
  for (const [halo, hb] of rows) {
    const verdict = total(halo) <= total(hb) ? 'PASS' : 'FAIL'
    console.log(`${`${halo.loss} %`.padEnd(6)} ${String(total(halo)).padStart(5)} ${String(total(hb)).padStart(10)} ${`${halo.takeovers}/${hb.takeovers}`.padStart(14)}  ${verdict.padEnd(8)}  ${perNode(halo)} | ${perNode(hb)}`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
