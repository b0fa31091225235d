/** Fencing in the lab's hbtest cluster with BMCs (demo/hbtest/fencing.ts); a tap Test is its scope. */
export * from '../../demo/hbtest/fencing.ts'
