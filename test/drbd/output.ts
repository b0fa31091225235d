/** What drbdsetup prints about a resource, per DRBD generation (reference/drbd/README.md). */
import type { Resource, View } from './state.ts'

/**
 * `drbdsetup events2 --now RES`: reference/drbd/README.md, the five lines under "drbdsetup events2 --now
 * RES (v9)", with this double's states.
 */
export function events2(r: Resource, v: View): string {
  if (!v.up) return 'exists -\n'
  const mayPromote = v.role === 'Secondary' && (v.disk === 'UpToDate' || v.peerDisk === 'UpToDate') && v.peerRole !== 'Primary'
  const replication = v.cstate === 'Connected' ? (v.disk === 'Inconsistent' ? 'SyncTarget' : 'Established') : 'Off'
  return [
    `exists resource name:${r.name} role:${v.role} suspended:no force-io-failures:no may_promote:${mayPromote ? 'yes' : 'no'} promotion_score:${v.disk === 'UpToDate' ? 10102 : 0}`,
    `exists connection name:${r.name} peer-node-id:1 conn-name:peer connection:${v.cstate} role:${v.peerRole}`,
    `exists device name:${r.name} volume:0 minor:${r.minor} backing_dev:/dev/sdb disk:${v.disk} client:no open:${v.open > 0 ? 'yes' : 'no'} quorum:yes`,
    `exists peer-device name:${r.name} peer-node-id:1 conn-name:peer volume:0 replication:${replication} peer-disk:${v.peerDisk} peer-client:no resync-suspended:no`,
    'exists -',
    '',
  ].join('\n')
}

/**
 * `drbdadm status RES` (9.x): the resource's role, its disk, then the peer by its host name with its role
 * (or only its connection state while apart), and under it the peer's disk (and a resync with its progress).
 */
export function statusText(r: Resource, v: View, peer: string): string {
  const lines = [`${r.name} role:${v.role}`, `  disk:${v.disk}`]
  if (v.cstate !== 'Connected') lines.push(`  ${peer} connection:${v.cstate}`)
  else {
    lines.push(`  ${peer} role:${v.peerRole}`)
    // a resync runs from the side with good data: two fresh (Inconsistent) disks have none to send
    const syncing = (v.disk === 'Inconsistent') !== (v.peerDisk === 'Inconsistent')
    const done = (r.synced ?? 0).toFixed(2)
    lines.push(syncing ? `    replication:${v.disk === 'Inconsistent' ? 'SyncTarget' : 'SyncSource'} peer-disk:${v.peerDisk} done:${done}` : `    peer-disk:${v.peerDisk}`)
  }
  return `${lines.join('\n')}\n\n`
}

/** `drbdsetup status RES --json` (9.x): the fields the reference lists, in drbdsetup 9.22's layout. */
export function statusJson(r: Resource, v: View, nodeId: number): string {
  const synced = v.disk === 'Inconsistent' ? (r.synced ?? 0) : 100
  return `[
{
  "name": "${r.name}",
  "node-id": ${nodeId},
  "role": "${v.role}",
  "suspended": false,
  "suspended-user": false,
  "suspended-no-data": false,
  "suspended-fencing": false,
  "suspended-quorum": false,
  "force-io-failures": false,
  "write-ordering": "flush",
  "devices": [
    {
      "volume": 0,
      "minor": ${r.minor},
      "disk-state": "${v.disk}",
      "client": false,
      "open": ${v.open > 0},
      "quorum": true,
      "size": 1048508,
      "read": 0,
      "written": 0,
      "al-writes": 0,
      "bm-writes": 0,
      "upper-pending": 0,
      "lower-pending": 0
    } ],
  "connections": [
    {
      "peer-node-id": ${1 - nodeId},
      "name": "peer",
      "connection-state": "${v.cstate}", 
      "congested": false,
      "peer-role": "${v.peerRole}",
      "ap-in-flight": 0,
      "rs-in-flight": 0,
      "peer_devices": [
        {
          "volume": 0,
          "replication-state": "${v.cstate === 'Connected' ? 'Established' : 'Off'}",
          "peer-disk-state": "${v.peerDisk}",
          "peer-client": false,
          "resync-suspended": "no",
          "received": 0,
          "sent": 0,
          "out-of-sync": 0,
          "pending": 0,
          "unacked": 0,
          "has-sync-details": false,
          "has-online-verify-details": false,
          "percent-in-sync": ${synced.toFixed(2)}
        } ]
    } ]
}
]
`
}

/** `drbdsetup sh-status RES` (8.4): the assignments the reference lists, in drbdsetup-84's order. */
export function shStatus(r: Resource, v: View): string {
  const head = [`_minor=${r.minor}`, `_res_name=${r.name}`, '_volume=0']
  const state = v.up
    ? ['_known=Configured', `_cstate=${v.cstate}`, `_role=${v.role}`, `_peer=${v.peerRole}`, `_disk=${v.disk}`, `_pdsk=${v.peerDisk}`]
    : ['_known=Unconfigured', '_cstate=Unconfigured', '_role=', '_peer=', '_disk=', '_pdsk=']
  const synced = v.up && v.disk === 'Inconsistent' && r.synced !== undefined ? r.synced.toFixed(1) : ''
  const flags = ['_flags_susp=', '_flags_aftr_isp=', '_flags_peer_isp=', '_flags_user_isp=', `_resynced_percent=${synced}`]
  return [...head, ...state, ...flags, '_sh_status_process', ''].join('\n')
}

