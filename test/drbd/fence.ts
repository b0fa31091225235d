/**
 * DRBD's fence-peer call, as the double's kernel makes it (`fencing resource-only` or
 * `resource-and-stonith`): on a Primary that loses its replication link (the pair's cutLink) and on
 * `drbdadm primary` of a node apart from its peer whose disk is not known to be Outdated. The handler of
 * `handlers { fence-peer "…"; }` runs with drbdadm's environment and the kernel acts on its exit code
 * (drbd_nl.c, conn_try_outdate_peer):
 *   3 peer Inconsistent (pdsk Inconsistent)   4 peer outdated (pdsk Outdated)
 *   5 peer unreachable: pdsk Outdated if this disk is UpToDate, else nothing
 *   6 peer is Primary: this node outdates itself   7 peer STONITHed (pdsk Outdated; an error line unless
 *   fencing is resource-and-stonith)   anything else: "fence-peer helper broken", nothing changes.
 * Not modelled: IO suspended while the handler runs under resource-and-stonith; 8.4's retries of a failed
 * promotion (the double asks the handler once, as 9 does). The handler's command line is split into
 * words as lib/words.ts does, and run without a shell. What the kernel says goes to <state>/<node>.kern.log, with the handler's output.
 */
import { spawnSync } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { splitWords } from '../../lib/words.ts'
import type { ConfResource } from './conf.ts'
import { type Cluster, loadResource, type Resource, saveResource } from './state.ts'

/** Appends what DRBD would write to the kernel log of `node`. */
export function kernLog(c: Cluster, node: string, r: Resource, lines: readonly string[]): void {
  appendFileSync(join(c.dir, `${node}.kern.log`), lines.map((l) => `drbd ${r.name}: ${l}\n`).join(''))
}

/** drbdadm's environment for a handler (drbdadm_main.c adm_khelper; 9 names the peer by node-id). */
function handlerEnv(c: Cluster, node: string, res: ConfResource, confFile: string): Record<string, string> {
  const me = res.hosts.find((h) => h.name === node)!
  const peer = res.hosts.find((h) => h.name !== node)!
  const ip = (address: string) => address.replace(/:\d+$/, '')
  const env: Record<string, string> = { DRBD_RESOURCE: res.name, DRBD_CONF: confFile, DRBD_MINOR: String(res.minor), DRBD_PEER_ADDRESS: ip(peer.address), DRBD_PEER_AF: 'ipv4' }
  if (c.nodes[node].version === '8.4') return { ...env, DRBD_PEER: peer.name, DRBD_PEERS: peer.name }
  const ids = Object.fromEntries(res.hosts.map((h) => [`DRBD_NODE_ID_${h.nodeId}`, h.name]))
  return { ...env, ...ids, DRBD_PEER_NODE_ID: String(peer.nodeId), DRBD_MY_NODE_ID: String(me.nodeId), DRBD_MY_ADDRESS: ip(me.address), DRBD_MY_AF: 'ipv4' }
}

const verdicts: Record<number, string> = { 3: 'peer is inconsistent or worse', 4: 'peer was fenced', 6: 'peer is active', 7: 'peer was stonithed' }

/**
 * Runs the fence-peer handler for `node` and applies its verdict. Returns the resource as saved after,
 * and the handler's exit code (null: killed, or no call because this disk is not even Consistent).
 */
export function fencePeer(c: Cluster, node: string, res: ConfResource, confFile: string): { r: Resource; code: number | null } {
  const before = loadResource(c, res.name)!
  if (!['UpToDate', 'Consistent'].includes(before.nodes[node].disk)) {
    kernLog(c, node, before, ["Not fencing peer, I'm not even Consistent myself."])
    return { r: before, code: null }
  }
  kernLog(c, node, before, [`helper command: /sbin/drbdadm fence-peer ${res.name}`])
  const argv = splitWords(res.fencePeer ?? '', 'fence-peer')
  const run = argv.length === 0 ? { status: 0, stdout: '', stderr: '' } : spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...handlerEnv(c, node, res, confFile) }, encoding: 'utf8', timeout: 120_000 })
  const code = run.status
  // the handler may have changed the state (its peer ran drbdadm outdate): act on what is there now
  const r = loadResource(c, res.name)!
  const mine = r.nodes[node]
  const said = `${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n').filter(Boolean).map((l) => `  ${l}`)
  kernLog(c, node, r, [...said, `helper command: /sbin/drbdadm fence-peer ${res.name} exit code ${code} (0x${((code ?? 0) << 8).toString(16)})`])
  if (r.connected) {
    kernLog(c, node, r, ['Ignoring fence-peer exit code'])
    return { r, code }
  }
  const set = (field: 'pdsk' | 'disk', to: string) => {
    kernLog(c, node, r, [`${field}( ${field === 'pdsk' ? (mine.pdsk ?? 'DUnknown') : mine.disk} -> ${to} )`])
    mine[field] = to
  }
  let verdict = code === null ? undefined : verdicts[code]
  if (code === 3) set('pdsk', 'Inconsistent')
  else if (code === 4) set('pdsk', 'Outdated')
  else if (code === 5) {
    verdict = mine.disk === 'UpToDate' ? 'peer is unreachable, assumed to be dead' : 'peer unreachable, doing nothing since disk != UpToDate'
    if (mine.disk === 'UpToDate') set('pdsk', 'Outdated')
  } else if (code === 6) {
    kernLog(c, node, r, ['Peer is primary, outdating myself.'])
    if (mine.role === 'Primary') kernLog(c, node, r, ['State change failed: (-2) Need access to UpToDate data'])
    else set('disk', 'Outdated')
  } else if (code === 7) {
    if (res.fencing !== 'resource-and-stonith') kernLog(c, node, r, ['fence-peer() = 7 && fencing != Stonith !!!'])
    set('pdsk', 'Outdated')
  }
  kernLog(c, node, r, [verdict ? `fence-peer helper returned ${code} (${verdict})` : `fence-peer helper broken, returned ${code}`])
  saveResource(c, r)
  return { r, code }
}

/** The peer's disk as this node knows it allows a Primary here: the handler outdated it, or it is worse. */
export const peerOutdated = (r: Resource, node: string) => ['Outdated', 'Inconsistent', 'Diskless'].includes(r.nodes[node].pdsk ?? '')
