/**
 * The deeper monitors: I/O that must reach the disk, not the page cache, or a dead disk under a cached
 * filesystem would look healthy. O_DIRECT needs buffers aligned to the block size, which Node cannot
 * promise, so coreutils' dd does the direct I/O (argv only).
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { HaloError } from '../../lib/errors.ts'
import { describeFailure, run } from '../../lib/exec.ts'
import { OCF } from '../../lib/ocf/codes.ts'

const left = (deadline: number) => Math.max(1, deadline - performance.now())

/** Depth 10: one whole block read from the device with O_DIRECT (a device cut short reads nothing, and dd says 0). */
export async function readDevice(device: string, deadline: number): Promise<void> {
  const r = await run(['dd', `if=${device}`, 'of=/dev/null', 'iflag=direct', 'bs=4k', 'count=1', 'status=noxfer'], { timeout: left(deadline) })
  if (r.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `cannot read ${device}: dd ${describeFailure(r)}`)
  if (!/^1\+0 records in$/m.test(r.stderr)) throw new HaloError(OCF.ERR_GENERIC, `cannot read ${device}: no whole block (dd: ${r.stderr.trim().split('\n')[0]})`)
}

/**
 * Depth 20: writes a fresh line to the status file with O_DIRECT|O_SYNC and reads it back. The direct write
 * drops the file's pages from the cache, so the read that follows comes from the disk. The line changes
 * every time, so an old file cannot pass. Filesystems without a block device (NFS, CIFS, tmpfs) may refuse
 * O_DIRECT: there the write is O_SYNC only.
 */
export async function writeReadBack(file: string, line: string, direct: boolean, deadline: number): Promise<void> {
  try {
    mkdirSync(dirname(file), { recursive: true })
  } catch (e) {
    throw new HaloError(OCF.ERR_GENERIC, `cannot write the status file ${file}: ${(e as Error).message}`)
  }
  const w = await run(['dd', `of=${file}`, direct ? 'oflag=direct,sync' : 'oflag=sync', 'bs=4k', 'conv=fsync,sync', 'status=none'], {
    input: line,
    timeout: left(deadline),
  })
  if (w.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `cannot write the status file ${file}: dd ${describeFailure(w)}`)
  let back: string
  try {
    back = readFileSync(file, 'utf8')
  } catch (e) {
    throw new HaloError(OCF.ERR_GENERIC, `cannot read the status file ${file}: ${(e as Error).message}`)
  }
  if (!back.startsWith(line)) throw new HaloError(OCF.ERR_GENERIC, `the status file ${file} does not read back what was written`)
}
