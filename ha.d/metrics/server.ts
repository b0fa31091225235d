/**
 * The metrics endpoint of the engine: /metrics (Prometheus text), /status.json (the same view as JSON, for
 * the page) and the status page at /. Read-only: GET and HEAD only. With a token, every data request must
 * carry it as `Authorization: Bearer …` (compared in constant time); the page itself holds no data.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type Server, type ServerResponse } from 'node:http'
import { HaloError, errorMessage } from '../../lib/errors.ts'
import { type ClusterView, exposition } from './exposition.ts'
import type { MetricsListen } from './listen.ts'
import { CSP, CSS, HTML, SCRIPT } from './page.ts'

const digest = (s: string) => createHash('sha256').update(s).digest()

const STATIC: Record<string, [string, string]> = {
  '/': ['text/html; charset=utf-8', HTML],
  '/status.css': ['text/css; charset=utf-8', CSS],
  '/status.js': ['text/javascript; charset=utf-8', SCRIPT],
}

/** Starts serving; rejects with a HaloError naming HALO_METRICS when the address cannot be bound. */
export function serveMetrics(listen: MetricsListen, view: () => Promise<ClusterView>): Promise<Server> {
  const want = listen.token === undefined ? undefined : digest(`Bearer ${listen.token}`)
  const send = (res: ServerResponse, code: number, type: string, body: string, head: boolean) => {
    res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' })
    res.end(head ? undefined : body)
  }
  const server = createServer(async (req, res) => {
    const head = req.method === 'HEAD'
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD')
      return send(res, 405, 'text/plain', 'read-only: GET or HEAD\n', head)
    }
    const path = new URL(req.url ?? '/', 'http://halo').pathname
    const page = STATIC[path]
    if (page) return send(res, 200, page[0], page[1], head)
    if (path !== '/metrics' && path !== '/status.json') return send(res, 404, 'text/plain', 'halo serves /, /metrics and /status.json\n', head)
    if (want && !timingSafeEqual(digest(req.headers.authorization ?? ''), want)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="halo"')
      return send(res, 401, 'text/plain', 'a bearer token is required\n', head)
    }
    let v: ClusterView
    try {
      v = await view()
    } catch (e) {
      // a reading that failed costs this scrape, never the engine (a rejection here would end the process)
      return send(res, 500, 'text/plain', `halo could not read the pair's state: ${errorMessage(e)}\n`, head)
    }
    if (path === '/metrics') return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', exposition(v), head)
    return send(res, 200, 'application/json', JSON.stringify(v), head)
  })
  // a slow or idle client holds nothing for long
  server.headersTimeout = 5000
  server.requestTimeout = 5000
  server.keepAliveTimeout = 5000
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new HaloError(6, `HALO_METRICS=${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}: cannot listen there: ${e.code ?? e.message}`)))
    server.listen(listen.port, listen.host, () => resolve(server))
  })
}
