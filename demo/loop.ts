/**
 * A loop device holding a fresh ext4 filesystem in a temp image, for the demo, the tests and the benchmarks.
 * Teardown undoes every mount of the device (wherever it is, even a leftover from a failed run: lazily when
 * still busy), detaches the device and removes the temp directory without crossing into any mount.
 */
import { mkdtemp, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, runOk } from '../lib/exec.ts'
import { type Scope, atEnd } from './scope.ts'

export interface LoopDisk {
  /** /dev/loopN */
  device: string
  image: string
  /** a temp directory of this disk's own, for mount points and other scratch files */
  dir: string
  /** teardown commands, in the order they must run */
  teardown: readonly (readonly string[])[]
}

/** Creates the disk; the caller must run `teardown` (removeLoop), or use loopExt4. */
export async function createLoopExt4(sizeMiB = 32): Promise<LoopDisk> {
  const dir = await mkdtemp(join(tmpdir(), 'halo-loop-'))
  const image = join(dir, 'disk.img')
  const teardown: string[][] = [['rm', '-rf', '--one-file-system', dir]]
  try {
    await writeFile(image, '')
    await truncate(image, sizeMiB << 20)
    await runOk(['mkfs.ext4', '-q', '-F', image])
    const device = (await runOk(['losetup', '--find', '--show', image])).trim()
    teardown.unshift(['umount', '--all-targets', '--recursive', '--lazy', device], ['losetup', '-d', device])
    return { device, image, dir, teardown }
  } catch (e) {
    await run(teardown[0])
    throw e
  }
}

export async function removeLoop(disk: LoopDisk): Promise<void> {
  for (const step of disk.teardown) await run(step)
}

/** The disk, torn down when the scope ends (a test: passed or failed) or the process exits. */
export async function loopExt4(scope: Scope, sizeMiB = 32): Promise<LoopDisk> {
  const disk = await createLoopExt4(sizeMiB)
  for (const step of [...disk.teardown].reverse()) atEnd(scope, step)
  return disk
}
