/**
 * What a virtual node's processes cost at idle: CPU (utime + stime from /proc/<pid>/stat, as a % of one
 * core) and memory (PSS from /proc/<pid>/smaps_rollup), summed over every process of the node but its
 * init, which is the harness's, not the product's.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { VirtualNode } from '../../demo/node.ts'

/** Clock ticks a second (USER_HZ), fixed at 100 on Linux. */
const HZ = 100

/** the node's processes but its init */
const pidsOf = (node: VirtualNode) => node.processes().filter((p) => p !== node.pid)

function ticks(pid: number): number {
  try {
    // the fields after the command name, which may hold spaces: utime and stime are the 12th and 13th
    const after = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return Number(after[11]) + Number(after[12])
  } catch {
    return 0
  }
}

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

export interface IdleCost {
  processes: number
  /** % of one core over the window */
  cpu: number
  /** MB, summed PSS at the end of the window */
  pss: number
}

/** Watches the node for `seconds`. */
export async function idleCost(node: VirtualNode, seconds: number): Promise<IdleCost> {
  const start = new Map(pidsOf(node).map((p) => [p, ticks(p)]))
  const w0 = performance.now()
  await sleep(seconds * 1000)
  const after = pidsOf(node)
  // a process born inside the window counts whole; one that died in it is lost, as in any sampling
  const cpuTicks = after.reduce((n, p) => n + ticks(p) - (start.get(p) ?? 0), 0)
  const wall = (performance.now() - w0) / 1000
  return { processes: after.length, cpu: (cpuTicks / HZ / wall) * 100, pss: after.reduce((n, p) => n + pssKb(p), 0) / 1024 }
}
