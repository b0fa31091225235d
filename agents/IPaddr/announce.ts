/**
 * Telling the link that the address has moved here: gratuitous ARP (IPv4) or unsolicited neighbour
 * advertisements (IPv6, once duplicate address detection has cleared), with Debian's own tools. The
 * announcer runs detached, so Pacemaker and ocf-tester do not wait for it; its pid is kept so that stop,
 * or the next start, ends it.
 */
import { mkdirSync, readlinkSync, rmSync } from 'node:fs'
import { writeFileAtomic } from '../../lib/atomic.ts'
import { findExecutable } from '../../lib/which.ts'
import { basename } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { HaloError } from '../../lib/errors.ts'
import { describeFailure, run, runOk, spawnDetached } from '../../lib/exec.ts'
import type { Logger } from '../../lib/log.ts'
import { sameIP } from '../../lib/net.ts'
import { ipv6Addresses } from '../../lib/netif.ts'
import { OCF } from '../../lib/ocf/codes.ts'
import { commandLine, readPidFile } from '../../lib/process.ts'
import type { Placement, VirtualIP } from './address.ts'

const heartbeatBin = '/usr/libexec/heartbeat'
const stateDir = '/run/halo/IPaddr'

export type ArpSender = 'send_arp' | 'iputils_arping'

export interface Announcement {
  sender: ArpSender
  /** ms between announcements */
  interval: number
  count: number
}

/**
 * send_arp (resource-agents) sends request and reply pairs `interval` ms apart, as IPaddr2 does by
 * default: some hosts and switches heed only one kind. iputils arping sends requests only (-U), and its
 * interval is whole seconds.
 */
export function announcerArgv(vip: VirtualIP, placement: Placement, a: Announcement): string[] {
  if (vip.ip.family === 6) return [`${heartbeatBin}/send_ua`, '-i', String(a.interval), '-c', String(a.count), vip.text, String(placement.prefix), placement.nic]
  if (a.sender === 'iputils_arping') return ['arping', '-q', '-U', '-c', String(a.count), '-i', String(Math.ceil(a.interval / 1000)), '-I', placement.nic, vip.text]
  return [`${heartbeatBin}/send_arp`, '-i', String(a.interval), '-r', String(a.count), placement.nic, vip.text, 'auto', 'not_used', 'not_used']
}

/** 5 when the announcer is not installed, naming its package. */
export function checkAnnouncer(argv: readonly string[]): void {
  if (findExecutable(argv[0], ['/usr/bin', '/usr/sbin', '/bin', '/sbin'])) return
  const pkg = argv[0].includes(heartbeatBin) ? 'resource-agents' : 'iputils-arping'
  throw new HaloError(OCF.ERR_INSTALLED, `${argv[0]} is not installed (Debian package ${pkg}); it announces the address to the link`)
}

/**
 * The announcer's pid file. The same address can be a resource in two network namespaces of one host (as
 * in tests, or containers sharing /run), so the namespace is part of the name.
 */
function pidFile(vip: VirtualIP): string {
  const netns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1] ?? 'host'
  return `${stateDir}/${vip.text}@net${netns}.pid`
}

export async function announce(vip: VirtualIP, argv: readonly string[], background: boolean, deadline: number, log: Logger): Promise<void> {
  log.info(`announcing ${vip.text}: ${argv.join(' ')}`)
  if (background) {
    mkdirSync(stateDir, { recursive: true })
    writeFileAtomic(pidFile(vip), `${spawnDetached(argv)}\n`)
    return
  }
  const r = await run(argv, { timeout: Math.max(1, deadline - performance.now()) })
  // the address is up either way: neighbours learn it at their next ARP/ND, so this is no reason to fail
  if (r.code !== 0) log.warn(`${basename(argv[0])} could not announce ${vip.text}: ${describeFailure(r)}`)
}

/**
 * Ends an announcer still running for this address (only if it is one: pids are reused). KILL, not TERM:
 * an announcer keeps no state. Not awaited: a killed process sends nothing more, but its exit (the kernel
 * closing its packet socket) takes some 60 ms, which every stop and so every failover would pay.
 */
export function stopAnnouncing(vip: VirtualIP, log: Logger): void {
  const file = pidFile(vip)
  const pid = readPidFile(file)
  const argv = pid === undefined ? undefined : commandLine(pid)
  if (pid !== undefined && argv?.includes(vip.text) && ['send_arp', 'send_ua', 'arping'].includes(basename(argv[0]))) {
    try {
      process.kill(pid, 'SIGKILL')
      log.info(`stopped announcing ${vip.text} (pid ${pid})`)
    } catch {
      // it has just finished
    }
  }
  rmSync(file, { force: true })
}

/**
 * Waits until IPv6 duplicate address detection has cleared the address (bounded by `deadline`). A
 * duplicate found elsewhere on the link: the address is taken back off and start fails.
 */
export async function dadCleared(vip: VirtualIP, placement: Placement, deadline: number): Promise<void> {
  for (;;) {
    const mine = ipv6Addresses().find((a) => a.nic === placement.nic && sameIP(a.ip, vip.ip))
    if (mine?.dadFailed) {
      await runOk(['ip', '-6', 'addr', 'del', `${vip.text}/${mine.prefix}`, 'dev', placement.nic], { timeout: Math.max(1, deadline - performance.now()) })
      throw new HaloError(OCF.ERR_GENERIC, `another host on the link of ${placement.nic} already has ${vip.text} (IPv6 duplicate address detection); address removed`)
    }
    if (!mine) throw new HaloError(OCF.ERR_GENERIC, `${vip.text} vanished from ${placement.nic} during duplicate address detection`)
    if (!mine.tentative) return
    if (performance.now() >= deadline) throw new HaloError(OCF.ERR_GENERIC, `duplicate address detection of ${vip.text} on ${placement.nic} did not finish in time`)
    await sleep(20)
  }
}
