/** The lab's three-node Corosync + Pacemaker cluster (demo/pacemaker*.ts); a tap Test is its scope. */
export * from '../../demo/pacemaker.ts'
export * from '../../demo/pacemaker-cib.ts'
export * from '../../demo/pacemaker-status.ts'
export * from '../../demo/pacemaker-example.ts'
