/**
 * How the commands (hb_standby, hb_takeover, cl_status, halo-heartbeat -k/-r/-s) talk to the running
 * engine: one JSON request and one JSON answer a line, over a root-only unix socket in the node's /run.
 * Scripts written for Heartbeat use its FIFO instead; the engine reads that too.
 */
import { closeSync, constants, fstatSync, openSync, rmSync, writeSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { HaloError, errorMessage } from '../lib/errors.ts'
import type { FencingStatus } from './fencing.ts'
import type { PeerFiles } from './peer-files.ts'

export type ResourceSet = 'all' | 'foreign' | 'local'

export type Request =
  /** `by`: who asks (hb_standby and what ran it), for the event history */
  | { op: 'standby'; set: ResourceSet; by?: string }
  | { op: 'takeover'; set: ResourceSet }
  | { op: 'status' }
  | { op: 'reload' }
  | { op: 'shutdown' }
  /** drbd-peer-outdater: have the peer outdate a DRBD resource (ha.d/outdate.ts) */
  | { op: 'outdate'; resource: string; timeoutMs: number; peer?: string }
  /** halo check --peer: the peer's cluster files, asked over the heartbeat link (ha.d/peer-files.ts) */
  | { op: 'peer-files'; timeoutMs: number }
  | RecoveryRequest

/**
 * Local recovery (ha.d/recovery.ts). `resource` names a haresources resource as recovery.cf does: its
 * script (`appserver`) or its full spelling (`IPaddr::10.0.0.5/24`).
 *   recover: a failure of it was seen (`by`: who saw it, for the history): restart in place or fail over, by the policy
 *   restart: the admin asks for a restart in place; no failure is counted
 *   cleanup: forget the failures of one resource, or of all
 */
export type RecoveryRequest =
  | { op: 'recover'; resource: string; by?: string }
  | { op: 'restart'; resource: string }
  | { op: 'cleanup'; resource?: string }

/** One resource's failures as the engine counts them (recovery.cf's policy for it, and the failures seen). */
export interface FailureCount {
  /** as haresources writes it: appserver, IPaddr::10.0.0.5/24 */
  resource: string
  /** the group's first resource, as Heartbeat names a group */
  group: string
  /** failures within the window */
  count: number
  /** migration-threshold: restarts in place allowed within the window; the next failure fails the group over; null: no limit (INFINITY) */
  threshold: number | null
  /** failure-timeout in ms: a failure older than this is forgotten; 0: never */
  windowMs: number
  /** ISO times of the failures counted, oldest first */
  failures: string[]
}

/** `code`: the fence-peer handler's exit code, for outdate; `peerFiles`: for peer-files */
export type Answer = { ok: true; message?: string; status?: EngineStatus; code?: number; peerFiles?: PeerFiles } | { ok: false; error: string }

/** What cl_status shows. */
export interface EngineStatus {
  version: string
  node: string
  nodes: {
    name: string
    type: 'normal' | 'ping'
    status: string
    links: { iface: string; status: 'up' | 'dead' }[]
    /** the node's generation (it grows at each start of its engine); none for ping nodes and unheard peers */
    generation?: number
    /** ISO time since when the node is up, as this node saw it: its engine's start, the peer's last join */
    since?: string
  }[]
  /** which groups this node holds: local|foreign|all|none|transition */
  resources: string
  parameters: Record<string, string>
  /** packets dropped since start, by reason (malformed, unauthentic, strangers, replays, duplicates) */
  drops?: Record<string, number>
  /** the engine's process id, for `halo-heartbeat -s` */
  pid?: number
  /** the fence devices and the last fences, when fencing is configured */
  fencing?: FencingStatus
  /** local recovery: every resource of haresources with its policy and its failures */
  failures?: FailureCount[]
}

export const controlSocket = (env: NodeJS.ProcessEnv = process.env): string => env.HALO_CONTROL ?? '/run/halo/heartbeat.sock'
export const legacyFifo = (env: NodeJS.ProcessEnv = process.env): string => env.HA_FIFO ?? '/var/lib/heartbeat/fifo'

/**
 * Sends one request and waits (bounded) for the answer. Resolves undefined when no engine listens;
 * rejects when one listens but does not answer in time.
 */
export function ask(request: Request, socket = controlSocket(), timeoutMs = 5000): Promise<Answer | undefined> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket)
    let buf = ''
    const timer = setTimeout(() => {
      conn.destroy()
      reject(new HaloError(1, `the heartbeat engine did not answer within ${timeoutMs / 1000} s (${socket})`))
    }, timeoutMs)
    conn.on('connect', () => conn.write(`${JSON.stringify(request)}\n`))
    conn.on('data', (d) => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      clearTimeout(timer)
      conn.end()
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as Answer)
      } catch (e) {
        reject(new HaloError(1, `the heartbeat engine answered something unreadable: ${errorMessage(e)}`))
      }
    })
    conn.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') resolve(undefined)
      else reject(new HaloError(1, `${socket}: ${e.message}`))
    })
  })
}

/** The engine's side: answers each request line with `handle`'s answer. The socket is root-only. */
export function serveControl(socket: string, handle: (r: Request) => Promise<Answer>): Promise<Server> {
  rmSync(socket, { force: true })
  const server = createServer((conn) => {
    let buf = ''
    conn.on('error', () => conn.destroy())
    conn.on('data', async (d) => {
      buf += d
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        let answer: Answer
        try {
          answer = await handle(JSON.parse(line) as Request)
        } catch (e) {
          answer = { ok: false, error: errorMessage(e) }
        }
        conn.write(`${JSON.stringify(answer)}\n`)
      }
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    // bound with a umask that leaves it root's alone from its first moment: a chmod after the bind leaves
    // a window (under an inherited umask 0, a wide one) in which anyone may connect and ask for a takeover
    const umask = process.umask(0o177)
    try {
      server.listen(socket, () => resolve(server))
    } finally {
      process.umask(umask)
    }
  })
}

/**
 * Writes a classic-form message (`>>>` … `<<<`) into Heartbeat's FIFO, as its shell scripts do, but
 * without blocking when no daemon reads it and without creating a file when there is none: false then.
 */
export function writeFifo(fifo: string, fields: Record<string, string>): boolean {
  let fd: number
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENXIO') return false
    throw new HaloError(1, `${fifo}: ${errorMessage(e)}`)
  }
  try {
    // a plain file where the FIFO should be is what Heartbeat's script leaves when no daemon ran
    if (!fstatSync(fd).isFIFO()) throw new HaloError(1, `${fifo} is not a FIFO; remove it (no heartbeat reads it)`)
    const body = Object.entries(fields).map(([k, v]) => `${k}=${v}\n`).join('')
    writeSync(fd, `>>>\n${body}<<<\n`)
    return true
  } finally {
    closeSync(fd)
  }
}
