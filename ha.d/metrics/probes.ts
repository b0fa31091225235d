/**
 * What the engine does not know itself but the metrics show: halo-mon's services (asked on its moncmd
 * port, as `halo status` asks) and DRBD's states (`drbdadm status`). Each scrape reads them at most once
 * per MAX_AGE_MS, every read bounded, concurrent scrapes sharing one read: a scraper polling hard costs one
 * moncmd exchange and one drbdadm per period, and a hung halo-mon or drbdadm delays a scrape by its bound
 * only. Absent (undefined) when nothing answers: no halo-mon running, no DRBD (no drbdadm, no module).
 * Without DRBD's module (no /proc/drbd, or HA_PROC_DRBD as drbddisk reads it) drbdadm is not even run.
 */
import { existsSync } from 'node:fs'
import { type DrbdResource, drbdStatus } from '../../lib/drbd.ts'
import { type MonService, monStatus } from '../../lib/moncmd.ts'

export interface Probed {
  mon?: MonService[]
  drbd?: DrbdResource[]
}

export interface ProbeReaders {
  mon: () => Promise<MonService[] | undefined>
  drbd: () => Promise<DrbdResource[] | undefined>
}

/** a reading younger than this is served again (Prometheus scrapes every 15 s or more) */
export const MAX_AGE_MS = 5000
/** each question's bound: a scrape waits this long at most for each */
const PROBE_TIMEOUT_MS = 1000

/** The readers of a node: halo-mon at host:port, drbdadm as drbddisk finds it (HA_DRBDADM, HA_DRBDCONF). */
export function nodeReaders(mon: { host: string; port: number }, env: NodeJS.ProcessEnv = process.env): ProbeReaders {
  return {
    mon: async () => {
      const s = await monStatus(mon.host, mon.port, PROBE_TIMEOUT_MS)
      return s.running && !s.error ? s.services : undefined
    },
    drbd: async () => {
      if (!existsSync(env.HA_PROC_DRBD || '/proc/drbd')) return undefined
      const s = await drbdStatus(PROBE_TIMEOUT_MS, env)
      return s.error || s.resources.length === 0 ? undefined : s.resources
    },
  }
}

export class Probes {
  private last?: { at: number; value: Probed }
  private reading?: Promise<Probed>

  constructor(
    private readonly readers: ProbeReaders,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The last reading while it is young, else a new one (shared by whoever asks meanwhile). */
  get(): Promise<Probed> {
    if (this.last && this.now() - this.last.at < MAX_AGE_MS) return Promise.resolve(this.last.value)
    this.reading ??= (async () => {
      const [mon, drbd] = await Promise.all([this.readers.mon(), this.readers.drbd()])
      const value = { mon, drbd }
      this.last = { at: this.now(), value }
      return value
    })().finally(() => (this.reading = undefined))
    return this.reading
  }
}
