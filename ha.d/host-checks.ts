/**
 * What Heartbeat 3.0.6 checks of this host when it reads ha.cf, beyond the file's own words, and so does
 * halo before it starts anything:
 *  - a respawn or failfast program that is not an executable file, or a user that does not exist: refused;
 *  - a ping or ping_group host that is neither an IPv4 address nor a name the system resolver knows
 *    (Heartbeat resolves it once, through gethostbyname): refused, rather than ping a name forever;
 *  - a bcast interface whose address has no broadcast address: Heartbeat starts all the same and sends
 *    its heartbeats to 0.0.0.0, that is to itself (measured: both nodes then take every group). halo warns,
 *    naming the line and the interface, as that node will find its peer dead.
 * Each problem names ha.cf:line; every one is reported before the engine refuses.
 */
import { lookup } from 'node:dns/promises'
import { ConfigError, errorMessage } from '../lib/errors.ts'
import { run } from '../lib/exec.ts'
import { isIPv4 } from '../lib/net.ts'
import type { HaCf } from './config/hacf.ts'
import { apiClientInstead, clientProblem } from './respawn.ts'

export interface HostProblems {
  /** what Heartbeat refuses to start with */
  errors: ConfigError[]
  /** what it starts with, though it will not work: file:line text */
  warnings: string[]
}

export async function checkHost(hacf: HaCf): Promise<HostProblems> {
  const [clients, pings, bcast] = await Promise.all([checkClients(hacf), checkPingNodes(hacf), checkBroadcast(hacf)])
  return { errors: [...clients, ...pings], warnings: bcast }
}

async function checkClients(hacf: HaCf): Promise<ConfigError[]> {
  const errors: ConfigError[] = []
  for (const spec of hacf.respawn) {
    // an API client is not run at all (respawn.ts says what halo does instead): nothing of it to check
    if (apiClientInstead(spec.argv[0]) !== undefined) continue
    const why = await clientProblem(spec)
    if (why) errors.push(new ConfigError(hacf.file, spec.line, `${spec.failfast ? 'failfast' : 'respawn'} ${spec.user} ${spec.argv.join(' ')}: ${why}`))
  }
  return errors
}

async function checkPingNodes(hacf: HaCf): Promise<ConfigError[]> {
  const errors: ConfigError[] = []
  for (const node of hacf.pingNodes) {
    for (const host of node.hosts) {
      if (isIPv4(host)) continue
      try {
        await lookup(host, { family: 4 })
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? errorMessage(e)
        const directive = node.hosts.length === 1 && node.name === host ? 'ping' : `ping_group ${node.name}`
        errors.push(new ConfigError(hacf.file, node.line, `${directive}: unknown host ${host} (${code}): write its IPv4 address, or add the name to /etc/hosts`))
      }
    }
  }
  return errors
}

/** The IPv4 addresses of an interface as the kernel holds them: `broadcast` is absent when none was given. */
interface AddrInfo {
  family: string
  local: string
  prefixlen: number
  broadcast?: string
}

async function checkBroadcast(hacf: HaCf): Promise<string[]> {
  const warnings: string[] = []
  for (const m of hacf.media) {
    if (m.kind !== 'bcast') continue
    const r = await run(['ip', '-j', '-4', 'addr', 'show', 'dev', m.iface])
    // a missing interface, or one without an IPv4 address, is refused when the media open (media.ts)
    if (r.code !== 0) continue
    const parsed = JSON.parse(r.stdout || '[]') as { addr_info?: AddrInfo[] }[]
    const first = parsed[0]?.addr_info?.find((a) => a.family === 'inet')
    if (!first || first.broadcast) continue
    const address = `${first.local}/${first.prefixlen}`
    warnings.push(
      `${hacf.file}:${m.line}: bcast ${m.iface}: its address ${address} has no broadcast address, so no heartbeat leaves on this medium ` +
        `and this node will find its peer dead and take every group (Heartbeat starts so too): ` +
        `give the address one (ip addr del ${address} dev ${m.iface}; ip addr add ${address} brd + dev ${m.iface}) or write ucast ${m.iface} PEER-ADDRESS`,
    )
  }
  return warnings
}
