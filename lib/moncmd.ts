/**
 * halo-mon's services, asked as moncmd asks: `list opstatus` on its client port, one bounded exchange.
 * Only reading is asked, which mon's default auth.cf lets anyone do.
 */
import { createConnection } from 'node:net'
import { unescape } from './mon-escape.ts'

export interface MonService {
  group: string
  service: string
  /** mon's opstatus in words: ok, fail, untested, coldstart, warm, linkdown, unknown, timeout */
  opstatus: string
  summary: string
  /** ISO time of the last check, if any */
  lastCheck?: string
}

export interface MonStatus {
  /** where it was asked: host:port */
  at: string
  running: boolean
  services: MonService[]
  error?: string
}

// mon's STAT_* numbers (mon/state.ts and mon's own), in words
const OPSTATUS = ['fail', 'ok', 'coldstart', 'warm', 'linkdown', 'unknown', 'timeout', 'untested']

function parseOpstatus(lines: readonly string[]): MonService[] {
  return lines.map((line) => {
    const f = Object.fromEntries(line.split(' ').map((w) => [w.slice(0, w.indexOf('=')), unescape(w.slice(w.indexOf('=') + 1))]))
    const last = Number(f.last_check)
    return {
      group: f.group ?? '',
      service: f.service ?? '',
      opstatus: OPSTATUS[Number(f.opstatus)] ?? `opstatus ${f.opstatus}`,
      summary: f.last_summary ?? '',
      lastCheck: last > 0 ? new Date(last * 1000).toISOString() : undefined,
    }
  })
}

/** One `list opstatus`; never rejects, never waits longer than timeoutMs. */
export function monStatus(host: string, port: number, timeoutMs: number): Promise<MonStatus> {
  const at = `${host}:${port}`
  return new Promise((resolve) => {
    const conn = createConnection({ host, port })
    let buf = ''
    const finish = (s: Omit<MonStatus, 'at'>) => {
      clearTimeout(timer)
      conn.destroy()
      resolve({ at, ...s })
    }
    const timer = setTimeout(() => finish({ running: true, services: [], error: `halo-mon at ${at} did not answer within ${timeoutMs} ms` }), timeoutMs)
    conn.on('connect', () => conn.write('list opstatus\nquit\n'))
    conn.on('data', (d) => {
      buf += d
      const lines = buf.split('\n').map((l) => l.replace(/\r$/, ''))
      const end = lines.findIndex((l) => /^[25]\d\d /.test(l))
      if (end < 0) return
      if (lines[end].startsWith('5')) finish({ running: true, services: [], error: `halo-mon at ${at}: ${lines[end]}` })
      else finish({ running: true, services: parseOpstatus(lines.slice(0, end).filter(Boolean)) })
    })
    conn.on('error', (e: NodeJS.ErrnoException) =>
      finish(e.code === 'ECONNREFUSED' ? { running: false, services: [], error: `halo-mon is not running (nothing listens on ${at})` } : { running: false, services: [], error: `halo-mon at ${at}: ${e.message}` }),
    )
  })
}
