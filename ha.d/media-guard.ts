/**
 * Heartbeat binds each medium's socket to its device (SO_BINDTODEVICE), so a packet that comes in on
 * another interface never reaches it. Node cannot bind a socket to a device, so halo asks the kernel to
 * refuse them before any socket sees them: an nftables table of its own that drops every datagram to a
 * heartbeat port that did not come in on one of the media's interfaces, or whose source address the
 * kernel would not route back through the interface it came in on (a forged source: reverse-path check,
 * as rp_filter=1, but for the heartbeat ports only, so the rest of the host's routing is left alone).
 * The table is replaced at every start and removed when the engine stops; `nft list table inet
 * halo_heartbeat` shows it.
 */
import { run } from '../lib/exec.ts'

export const GUARD_TABLE = 'halo_heartbeat'

export interface Guard {
  /** removes the table this guard installed (not one a later start put in its place) */
  remove(): Promise<void>
}

/** The ruleset: per port, the interfaces its media use. Interface names are ha.cf's, checked by hacf. */
export function guardRules(ports: ReadonlyMap<number, readonly string[]>): string {
  const rules: string[] = []
  for (const [port, ifaces] of ports) {
    const names = [...new Set(ifaces)].map((i) => `"${i}"`).join(', ')
    // our own broadcasts and multicasts loop back through lo: not a stranger's
    rules.push(`    iifname "lo" udp dport ${port} accept`)
    rules.push(`    iifname { ${names} } udp dport ${port} fib saddr . iif oif exists accept`)
    rules.push(`    udp dport ${port} counter drop`)
  }
  return [
    `table inet ${GUARD_TABLE}`,
    `delete table inet ${GUARD_TABLE}`,
    `table inet ${GUARD_TABLE} {`,
    '  chain media {',
    '    type filter hook input priority -150; policy accept;',
    ...rules,
    '  }',
    '}',
    '',
  ].join('\n')
}

/**
 * Installs the guard; on failure (nft missing, no nf_tables in the kernel) resolves with why, and the
 * engine runs on with the source check of media.ts alone.
 */
export async function installGuard(ports: ReadonlyMap<number, readonly string[]>): Promise<Guard | string> {
  const odd = [...ports.values()].flat().find((i) => !/^[\w.@+-]+$/.test(i))
  // a quote in an interface name would end nft's string: refuse rather than write rules we did not mean
  if (odd !== undefined) return `interface name ${JSON.stringify(odd)} is not one nft rules can name`
  const r = await run(['nft', '-f', '-'], { input: guardRules(ports), timeout: 10_000 }).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }))
  if (r.code !== 0) return r.stderr.trim() || `nft exited with ${r.code}`
  const listed = await run(['nft', '-a', 'list', 'table', 'inet', GUARD_TABLE], { timeout: 10_000 }).catch(() => undefined)
  const handle = /# handle (\d+)/.exec(listed?.stdout ?? '')?.[1]
  return {
    async remove() {
      if (handle) await run(['nft', 'delete', 'table', 'inet', 'handle', handle], { timeout: 10_000 }).catch(() => undefined)
    },
  }
}
