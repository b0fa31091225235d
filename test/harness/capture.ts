/**
 * A packet capture in a test's network namespace: tcpdump writing a file, started and awaited until it
 * really captures, read back as tcpdump's one-line decode with link-level headers (`-nn -e`).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { childProcess, runOk } from '../../lib/exec.ts'
import { atEnd } from './cleanup.ts'
import { inNetns } from './netns.ts'
import { until } from '../../lib/wait.ts'
import { type UdpPacket, readPcap } from './pcap.ts'

export interface Capture {
  /** the pcap file tcpdump writes (each packet at once) */
  file: string
  /** every UDP datagram so far, for replays */
  datagrams(): UdpPacket[]
  /** every packet so far, one decoded line each */
  lines(): Promise<string[]>
  /** resolves with the lines once `ok(lines)` holds; rejects naming `what` after `ms` */
  waitFor(what: string, ok: (lines: string[]) => boolean, ms?: number): Promise<string[]>
}

/** Starts tcpdump on `iface` of `ns` with a pcap `filter` (e.g. ['arp']); stopped when the test ends. */
export async function capture(t: Test, ns: string, iface: string, filter: readonly string[]): Promise<Capture> {
  const dir = mkdtempSync(join(tmpdir(), 'halo-capture-'))
  atEnd(t, ['rm', '-rf', dir])
  const file = join(dir, 'capture.pcap')
  // -U: each packet reaches the file at once; -Z root: the file lives in root's private temp directory
  const argv = inNetns(ns, ['tcpdump', '-i', iface, '-nn', '-U', '-Z', 'root', '-w', file, ...filter])
  const child = childProcess().spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  atEnd(t, ['kill', String(child.pid)])
  await new Promise<void>((resolve, reject) => {
    let said = ''
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start capturing: ${said}`)), 10_000)
    child.stderr!.on('data', (b: Buffer) => {
      said += b.toString()
      if (said.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`tcpdump exited (${code}): ${said}`))
    })
  })
  const lines = async () => (await runOk(['tcpdump', '-r', file, '-nn', '-e'])).split('\n').filter(Boolean)
  return {
    file,
    datagrams: () => readPcap(file),
    lines,
    async waitFor(what, ok, ms = 10_000) {
      let seen: string[] = []
      await until(what, async () => ok((seen = await lines())), ms)
      return seen
    },
  }
}
