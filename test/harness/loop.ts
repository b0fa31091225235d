/** The lab's loop disk (demo/loop.ts); a tap Test is its scope. */
export { type LoopDisk, loopExt4 } from '../../demo/loop.ts'
