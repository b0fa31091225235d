/** The lab's teardown of a scratch directory and whatever runs on it (demo/reap.ts). */
export { reapArgv } from '../../demo/reap.ts'
