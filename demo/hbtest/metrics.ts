/**
 * Reading a node's metrics endpoint (HALO_METRICS) from inside a virtual node, as a scraper on that node
 * (or its peer) would: curl through the node's namespaces, bounded. A bearer token goes in a header file
 * (curl -H @FILE), never in an argv.
 */
import type { HaloNode } from './cluster.ts'

export const METRICS_PORT = 9664

export interface Scraped {
  /** the HTTP status; 0 when nothing answered (curl's exit code in `curl`) */
  status: number
  body: string
  curl: number | null
}

/** GETs `url` from inside `from`. */
export async function scrape(from: HaloNode, url: string, headerFile?: string): Promise<Scraped> {
  const argv = ['curl', '-sS', '--max-time', '5', '-o', '-', '-w', '\n%{http_code}', ...(headerFile ? ['-H', `@${headerFile}`] : []), url]
  const r = await from.vm.exec(argv, { timeout: 10_000 })
  const nl = r.stdout.lastIndexOf('\n')
  return { status: Number(r.stdout.slice(nl + 1)) || 0, body: r.stdout.slice(0, Math.max(nl, 0)), curl: r.code }
}

/** The value of the first sample of a Prometheus text with this name and these labels (others may be there too); undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]))
    const want = Object.entries(labels)
    if (want.every(([k, v]) => have[k] === v)) return Number(m[3])
  }
  return undefined
}
