/** What cluster scenarios ask of the lab's hbtest cluster (demo/hbtest/scenario.ts). */
export * from '../../demo/hbtest/scenario.ts'
