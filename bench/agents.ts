// bench/agents: every action of halo's agents beside the agents they replace, on the same namespace,
// loop device or datadir. Each bench/agents/<Name>.ts exports `bench(runs)`; run all or name some:
//   npm run bench:agents [-- IPaddr Filesystem] [--runs N]
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { median, printTable, timeOnce } from './lib/measure.ts'

const args = process.argv.slice(2)
const runsAt = args.indexOf('--runs')
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 20
const names = args.filter((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1))
const dir = fileURLToPath(new URL('./agents/', import.meta.url))
const all = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))

// in the environment the agents get from Pacemaker, PATH only (an inherited NODE_EXTRA_CA_CERTS alone
// makes node start 40 ms slower)
const node: number[] = []
for (let i = 0; i < runs; i++) node.push(await timeOnce(['node', '-e', '0'], { PATH: process.env.PATH }))
printTable('baseline', [{ what: 'node -e 0', halo: median(node) }], runs)

for (const name of names.length ? names : all) {
  const mod = (await import(`./agents/${name}.ts`)) as { bench(runs: number): Promise<void> }
  await mod.bench(runs)
}
