/** Timing for benchmarks: whole-command wall time, medians, and the side-by-side table they print. */
import { childProcess } from '../../lib/exec.ts'

/**
 * Wall time of one run of argv in ms, to its exit as Pacemaker times an action: not to the end of its
 * output, which a daemon it leaves behind may hold (resource-agents' mysql leaves mysqld_safe, IPaddr2
 * send_arp). Throws, with what the program said on stderr, unless it exits with one of `ok`.
 */
export function timeOnce(argv: readonly string[], env: NodeJS.ProcessEnv, ok: readonly number[] = [0]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = childProcess().spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let said = ''
    child.stderr!.on('data', (d) => (said += d))
    child.once('error', reject)
    child.once('exit', (code) => {
      const ms = performance.now() - t0
      if (ok.includes(code ?? -1)) resolve(ms)
      else reject(new Error(`${argv.join(' ')}: exit ${code} ${said.trim()}`))
    })
  })
}

/** The value of `--name VALUE` on the command line, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback
}

export const numberFlag = (name: string, fallback: number): number => Number(flag(name, String(fallback)))

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
