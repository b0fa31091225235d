/**
 * Where the metrics endpoint listens, from the environment (a real Heartbeat rejects unknown ha.cf
 * directives, so halo's own knobs live in a systemd drop-in):
 *   HALO_METRICS=ADDRESS:PORT          off when unset; 127.0.0.1:9664 or [::1]:9664 serves loopback only
 *   HALO_METRICS_TOKEN_FILE=PATH       required beyond loopback: a root-only file holding the bearer token
 *   HALO_METRICS_MON=ADDRESS:PORT      where halo-mon answers moncmd (default 127.0.0.1:2583)
 * The token is read once here, kept in memory, and never logged.
 */
import { readFileSync, statSync } from 'node:fs'
import { isIP } from 'node:net'
import { HaloError, errorMessage } from '../../lib/errors.ts'

export interface MetricsListen {
  host: string
  port: number
  /** the bearer token every request must carry; none on loopback without a token file */
  token?: string
}

const CONFIG_ERROR = 6

const isLoopback = (host: string) => host === '::1' || /^127\./.test(host)

/** undefined when the endpoint is off; a HaloError naming the variable when a setting is wrong. */
export function metricsListen(env: NodeJS.ProcessEnv = process.env): MetricsListen | undefined {
  const spec = env.HALO_METRICS
  if (spec === undefined || spec === '') return undefined
  const bad = (why: string) => new HaloError(CONFIG_ERROR, `HALO_METRICS=${spec}: ${why}`)
  const { host, port } = address(spec, 9664, bad)
  const file = env.HALO_METRICS_TOKEN_FILE
  if (!file) {
    if (isLoopback(host)) return { host, port }
    throw bad('an address beyond loopback needs a token: set HALO_METRICS_TOKEN_FILE to a root-only file holding it')
  }
  return { host, port, token: readToken(file) }
}

/** ADDRESS:PORT or [ADDRESS]:PORT: an IP address, never a name to look up */
function address(spec: string, example: number, bad: (why: string) => HaloError): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(spec)
  if (!m) throw bad(`give ADDRESS:PORT, such as 127.0.0.1:${example} or [::1]:${example} (an address, not a name)`)
  const host = m[1] ?? m[2]
  const port = Number(m[3])
  if (isIP(host) === 0) throw bad(`${host} is not an IP address`)
  if (port < 1 || port > 65535) throw bad(`port ${port} is out of range (1-65535)`)
  return { host, port }
}

/** Where the metrics ask halo-mon for its services: HALO_METRICS_MON=ADDRESS:PORT, mon's 127.0.0.1:2583 unless set. */
export function metricsMon(env: NodeJS.ProcessEnv = process.env): { host: string; port: number } {
  const spec = env.HALO_METRICS_MON
  if (spec === undefined || spec === '') return { host: '127.0.0.1', port: 2583 }
  return address(spec, 2583, (why) => new HaloError(CONFIG_ERROR, `HALO_METRICS_MON=${spec}: ${why}`))
}

function readToken(file: string): string {
  const bad = (why: string) => new HaloError(CONFIG_ERROR, `HALO_METRICS_TOKEN_FILE=${file}: ${why}`)
  let text: string
  try {
    // the mode first: a token others can read is no secret
    if ((statSync(file).mode & 0o077) !== 0) throw bad('others can read it: chmod 600 it')
    text = readFileSync(file, 'utf8')
  } catch (e) {
    if (e instanceof HaloError) throw e
    throw bad(errorMessage(e))
  }
  const token = text.trim()
  if (token.length < 16) throw bad('the token must be at least 16 characters')
  if (/\s/.test(token)) throw bad('the token is one line without spaces')
  return token
}
