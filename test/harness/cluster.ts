/** The lab's two-node hbtest cluster (demo/hbtest/cluster.ts); a tap Test is its scope. */
export * from '../../demo/hbtest/cluster.ts'
