/** DRBD resource names as drbd.conf takes them; never one an option parser could read as an option. */
export const isDrbdResourceName = (name: string): boolean => /^[\w.:+-]+$/.test(name) && !name.startsWith('-')

/**
 * DRBD's roles and disk states, from `drbdadm status` in DRBD 9's format:
 *   r0 role:Primary
 *     disk:UpToDate
 *     nodeb role:Secondary
 *       peer-disk:UpToDate
 * (a peer's line says connection:Connecting instead of a role while apart; replication: shows a resync,
 * with done: its progress in per cent). One reader for `halo status` and the engine's metrics.
 */
import { run } from './exec.ts'

export interface DrbdPeer {
  name: string
  /** Connected, or what the peer's line says (Connecting, StandAlone…) */
  connection: string
  role: string
  disk: string
  replication?: string
  /** a resync's progress, per cent */
  done?: number
}

export interface DrbdResource {
  name: string
  role: string
  disk: string
  peers: DrbdPeer[]
}

export interface DrbdStatus {
  resources: DrbdResource[]
  /** why no state could be read (no module, drbdadm missing, timed out) */
  error?: string
}

const fields = (text: string): Record<string, string> => Object.fromEntries(text.trim().split(/\s+/).filter((w) => w.includes(':')).map((w) => [w.slice(0, w.indexOf(':')), w.slice(w.indexOf(':') + 1)]))

export function parseDrbdStatus(text: string): DrbdResource[] {
  const out: DrbdResource[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const indent = line.length - line.trimStart().length
    const [name] = line.trim().split(/\s/)
    const f = fields(line)
    const res = out.at(-1)
    if (indent === 0) out.push({ name, role: f.role ?? 'Unknown', disk: 'DUnknown', peers: [] })
    else if (!res) continue
    else if (indent <= 2 && 'disk' in f) res.disk = f.disk
    else if (indent <= 2 && !name.includes(':')) res.peers.push({ name, connection: f.connection ?? 'Connected', role: f.role ?? 'Unknown', disk: 'DUnknown' })
    else if (indent > 2 && res.peers.length > 0) {
      const peer = res.peers.at(-1)!
      if (f['peer-disk']) peer.disk = f['peer-disk']
      if (f.replication) peer.replication = f.replication
      if (f.done) peer.done = Number(f.done)
    }
  }
  return out
}

/** `drbdadm status`: drbdadm and drbd.conf named by HA_DRBDADM and HA_DRBDCONF, as drbddisk finds them. */
export async function drbdStatus(timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<DrbdStatus> {
  try {
    const r = await run([env.HA_DRBDADM || 'drbdadm', ...(env.HA_DRBDCONF ? ['-c', env.HA_DRBDCONF] : []), 'status'], { timeout: timeoutMs, env })
    if (r.timedOut) return { resources: [], error: `drbdadm status did not answer within ${timeoutMs} ms` }
    if (r.code !== 0) return { resources: [], error: `drbdadm status: ${r.stderr.trim().split('\n').at(-1) || `exit ${r.code}`}` }
    return { resources: parseDrbdStatus(r.stdout) }
  } catch (e) {
    return { resources: [], error: `drbdadm: ${(e as Error).message}` }
  }
}

