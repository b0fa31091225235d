/** Timing for benchmarks: whole-command wall time, medians, and the side-by-side table they print. */
import { run, describeFailure, type RunOptions } from '../../lib/exec.ts'

/** Wall time of one run of argv in ms; throws when it does not exit with one of `ok` codes. */
export async function timeOnce(argv: readonly string[], opts: RunOptions = {}, ok: readonly number[] = [0]): Promise<number> {
  const t0 = performance.now()
  const r = await run(argv, opts)
  const ms = performance.now() - t0
  if (!ok.includes(r.code ?? -1)) throw new Error(`${argv.join(' ')}: ${describeFailure(r)}`)
  return ms
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export interface Row {
  what: string
  halo: number
  theirs?: number
  /** what "theirs" is, e.g. resource-agents IPaddr2 */
  against?: string
}

export function printTable(title: string, rows: readonly Row[], runs: number): void {
  const f = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(1))
  console.log(`\n${title} (median of ${runs} runs, ms)`)
  console.log(`${'action'.padEnd(28)} ${'halo'.padStart(9)} ${'theirs'.padStart(9)} ${'ratio'.padStart(7)}  against`)
  for (const r of rows) {
    const ratio = r.theirs ? (r.halo / r.theirs).toFixed(2) : '-'
    console.log(`${r.what.padEnd(28)} ${f(r.halo).padStart(9)} ${f(r.theirs).padStart(9)} ${ratio.padStart(7)}  ${r.against ?? ''}`)
  }
}
