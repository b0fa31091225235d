/**
 * Stop: unmount the mount and whatever is mounted on or below it, deepest first. When the kernel says busy,
 * the processes using these very mounts get TERM, then KILL once most of the action's time is spent; every
 * step is bounded by the action's deadline, and failure says who still holds the mount.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { HaloError } from '../../lib/errors.ts'
import { describeFailure, run } from '../../lib/exec.ts'
import type { Logger } from '../../lib/log.ts'
import { mountTree, readMountInfo, type MountInfo } from './mounts.ts'
import { OCF } from '../../lib/ocf/codes.ts'
import { terminate } from '../../lib/process.ts'
import { describeUsers, mountUsers } from './users.ts'

export interface UnmountOptions {
  /** force_unmount: signal the users, or only wait for them to leave */
  kill: boolean
  /** umount -f, for network filesystems whose server may be gone */
  force: boolean
  /** performance.now() by which stop must have answered */
  deadline: number
  log: Logger
}

// A busy mount whose users cannot be signalled (or that the kernel itself holds) is retried this often.
const retryMs = 100

export async function unmountTree(top: MountInfo, opts: UnmountOptions): Promise<void> {
  const start = performance.now()
  const budget = opts.deadline - start
  // Answer before Pacemaker's own timeout fires, and give TERM most of the time: a database flushing its
  // buffers on TERM is better than one recovering after KILL. KILL gets the last tenth (1–5 s).
  const giveUpAt = opts.deadline - Math.min(500, budget * 0.05)
  const killAt = giveUpAt - Math.min(Math.max(budget * 0.1, 1000), 5000, budget / 2)
  for (;;) {
    const tree = mountTree(readMountInfo(), top.id)
    if (tree.length === 0) return
    const busy = await unmountEach(tree, opts)
    if (!busy) continue
    const stillMounted = mountTree(readMountInfo(), top.id)
    if (stillMounted.length === 0) return
    const users = mountUsers(stillMounted)
    if (performance.now() >= giveUpAt) {
      const who = users.length ? `still used by ${describeUsers(users)}` : 'busy, but no process uses it (a loop device, swap file or NFS export on it?)'
      throw new HaloError(OCF.ERR_GENERIC, `cannot unmount ${busy}: ${who}`)
    }
    if (opts.kill && users.length > 0) {
      const after = killAt > performance.now() ? `, KILL in ${((killAt - performance.now()) / 1000).toFixed(1)} s if still running` : ', then KILL'
      opts.log.info(`${busy} is busy: sending TERM to ${describeUsers(users)}${after}`)
      await terminate(users.map((u) => u.pid), killAt, giveUpAt)
    } else {
      await sleep(Math.min(retryMs, Math.max(1, giveUpAt - performance.now())))
    }
  }
}

/** Unmounts deepest first; returns the mount point the kernel found busy, or undefined when all went. */
async function unmountEach(tree: readonly MountInfo[], opts: UnmountOptions): Promise<string | undefined> {
  for (const m of tree) {
    const r = await run(['umount', ...(opts.force ? ['-f'] : []), m.mountPoint], { timeout: Math.max(1, opts.deadline - performance.now()) })
    if (r.code === 0) {
      opts.log.info(`unmounted ${m.mountPoint}`)
      continue
    }
    if (/busy/i.test(r.stderr)) return m.mountPoint
    // someone else unmounted it meanwhile: what counts is that it is gone
    if (!readMountInfo().some((x) => x.id === m.id)) continue
    throw new HaloError(OCF.ERR_GENERIC, `cannot unmount ${m.mountPoint}: umount ${describeFailure(r)}`)
  }
  return undefined
}
