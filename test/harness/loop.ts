/** The demo's loop disk (demo/loop.ts), torn down when the test ends, passed or failed. */
import type { Test } from 'tap'
import { type LoopDisk, createLoopExt4 } from '../../demo/loop.ts'
import { atEnd } from './cleanup.ts'

export type { LoopDisk }

export async function loopExt4(t: Test, sizeMiB = 32): Promise<LoopDisk> {
  const disk = await createLoopExt4(sizeMiB)
  for (const step of [...disk.teardown].reverse()) atEnd(t, step)
  return disk
}
