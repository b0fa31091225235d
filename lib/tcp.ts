/**
 * Does a service accept connections? One connect, bounded in time, answered in the words an admin reads in
 * a log: ok, refused (nothing listens: the server is down or not up yet), timed out (a firewall drops the
 * packets, or the server's accept queue is full: it hangs), or another error. Agents wait with it for a
 * server's ports; mon's tcp.monitor checks its hosts with it. A unix socket path works as well as a port.
 */
import type { Socket } from 'node:net'

export type Endpoint = { host: string; port: number } | { path: string }

export interface ConnectResult {
  status: 'ok' | 'refused' | 'timeout' | 'error'
  endpoint: Endpoint
  /** what went wrong, as the system said it (e.g. "connect ECONNREFUSED 127.0.0.1:8080") */
  error?: string
  /** the system's error code (ECONNREFUSED, EHOSTUNREACH…) when there was one */
  code?: string
  /** milliseconds to the answer */
  ms: number
}

// Loaded on first use: an agent whose monitor does not connect anywhere must not pay for it.
const net = () => process.getBuiltinModule('node:net') as typeof import('node:net')

const describeEndpoint = (e: Endpoint): string => ('path' in e ? e.path : `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`)

/**
 * Connects once, then calls `use` with the connected socket (to read a greeting, say) or closes it.
 * Never rejects: every failure is a result.
 */
export function connect(endpoint: Endpoint, timeoutMs: number, use?: (s: Socket) => Promise<void>): Promise<ConnectResult> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const socket = net().connect(endpoint)
    let done = false
    const finish = (status: ConnectResult['status'], error?: string, code?: string) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ status, endpoint, error, code, ms: performance.now() - t0 })
    }
    const timer = setTimeout(() => finish('timeout', `no answer from ${describeEndpoint(endpoint)} within ${timeoutMs} ms`), timeoutMs)
    socket.once('error', (e: NodeJS.ErrnoException) => {
      // a unix socket file that is missing means nothing listens there, as a closed port does
      const refused = e.code === 'ECONNREFUSED' || ('path' in endpoint && e.code === 'ENOENT')
      finish(refused ? 'refused' : 'error', e.message, e.code)
    })
    socket.once('connect', () => {
      if (!use) return finish('ok')
      use(socket).then(
        () => finish('ok'),
        (e: Error) => finish('error', e.message),
      )
    })
  })
}

export interface WaitOptions {
  /** performance.now() time by which to give up */
  deadline: number
  /** per connect attempt (default 1000 ms, never past the deadline) */
  connectTimeout?: number
  /** asked before each round: a reason to stop waiting (the server died), or undefined to go on */
  giveUp?: () => string | undefined
}

export interface WaitResult {
  ok: boolean
  /** the last answer of each port that never accepted (empty when ok) */
  failing: ConnectResult[]
  /** the reason giveUp gave, when it ended the wait */
  gaveUp?: string
}

/**
 * Waits until every endpoint accepts a connection, bounded by the deadline. A port that refuses is tried
 * again after a short pause growing to 100 ms: a listening socket cannot be watched for from outside, and
 * the pause keeps a slow server from being hammered while answering within a few ms of its readiness.
 */
export async function waitForPorts(endpoints: readonly Endpoint[], opts: WaitOptions): Promise<WaitResult> {
  let pending = [...endpoints]
  let last: ConnectResult[] = []
  let pause = 5
  for (;;) {
    const gaveUp = opts.giveUp?.()
    if (gaveUp !== undefined) return { ok: false, failing: last, gaveUp }
    const left = opts.deadline - performance.now()
    if (left <= 0) return { ok: false, failing: last.length ? last : pending.map((endpoint) => ({ status: 'timeout', endpoint, ms: 0 })) }
    last = (await Promise.all(pending.map((e) => connect(e, Math.max(1, Math.min(opts.connectTimeout ?? 1000, left)))))).filter((r) => r.status !== 'ok')
    pending = last.map((r) => r.endpoint)
    if (pending.length === 0) return { ok: true, failing: [] }
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(pause, opts.deadline - performance.now()))))
    pause = Math.min(pause * 2, 100)
  }
}

/** "127.0.0.1:8080 refused (connect ECONNREFUSED 127.0.0.1:8080)" */
export function describeResult(r: ConnectResult): string {
  const what = { ok: 'accepts', refused: 'refused', timeout: 'timed out', error: 'failed' }[r.status]
  return r.error ? `${describeEndpoint(r.endpoint)} ${what} (${r.error})` : `${describeEndpoint(r.endpoint)} ${what}`
}
