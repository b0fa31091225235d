/** The lab's lossy heartbeat link (demo/hbtest/loss.ts). */
export * from '../../demo/hbtest/loss.ts'
