/**
 * mon's tcp.monitor, built in: the same arguments (`-p PORT -t SECS hosts…`), exit codes and output, without
 * forking a Perl interpreter for every check. Hosts are checked in parallel (mon's script goes one by one,
 * so one dead host delayed the verdict on the others); the output keeps the script's order and wording.
 * Checks of one address and port that overlap in time share one connection: services started together
 * on one port (a watch of many services, 1,000 at 1 s) cost one connect each round, not one each.
 */
import { lookup } from 'node:dns/promises'
import { isIPv4 } from '../lib/net.ts'
import { connect, type ConnectResult } from '../lib/tcp.ts'
import type { MonitorResult } from './monitor.ts'

// The words of strerror(3) that Perl's $! prints, for the errors a connect can end with.
const strerror: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  ECONNRESET: 'Connection reset by peer',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
}

/** The script's options: getopts "p:t:", port 23 and 10 s unless given. */
function parseArgs(args: readonly string[]): { port: number; timeoutMs: number; hosts: string[] } {
  let port = 23
  let timeout = 10
  let i = 0
  for (; i < args.length && args[i].startsWith('-') && args[i] !== '-'; i++) {
    if (args[i] === '--') { i++; break }
    const flag = args[i][1]
    const value = args[i].length > 2 ? args[i].slice(2) : args[++i]
    // Perl's `$opt{p} || 23`: an absent, empty or zero value means the default
    if (flag === 'p') port = Number.parseInt(value ?? '', 10) || 23
    else if (flag === 't') timeout = Number.parseFloat(value ?? '') || 10
  }
  return { port, timeoutMs: Math.round(timeout * 1000), hosts: args.slice(i) }
}

const inFlight = new Map<string, Promise<ConnectResult>>()

function probe(host: string, port: number, timeoutMs: number): Promise<ConnectResult> {
  const key = `${host}:${port}:${timeoutMs}`
  let answer = inFlight.get(key)
  if (!answer) {
    answer = connect({ host, port }, timeoutMs).finally(() => inFlight.delete(key))
    inFlight.set(key, answer)
  }
  return answer
}

/** What went wrong with one host, in the script's words, or undefined when it accepts. */
async function checkHost(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  let address: string
  try {
    // inet_aton: IPv4 only, names through the resolver
    address = isIPv4(host) ? host : (await lookup(host, { family: 4 })).address
  } catch {
    return `${host} could not inet_aton`
  }
  const r = await probe(address, port, timeoutMs)
  if (r.status === 'ok') return undefined
  if (r.status === 'timeout') return `${host} timeout`
  return `${host} could not connect: ${(r.code && strerror[r.code]) ?? r.error ?? 'unknown error'}`
}

export async function tcpMonitor(args: readonly string[]): Promise<MonitorResult> {
  const { port, timeoutMs, hosts } = parseArgs(args)
  const answers = await Promise.all(hosts.map((h) => checkHost(h, port, timeoutMs)))
  const failed = hosts.filter((_, i) => answers[i] !== undefined)
  if (failed.length === 0) return { exitval: 0, output: '', timedOut: false }
  const detail = answers.filter((a) => a !== undefined)
  // Perl's sort: by code point
  const summary = [...failed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(' ')
  return { exitval: 1, output: `${summary}\n\n${detail.join('\n')}\n`, timedOut: false }
}
