/**
 * corosync.conf (Corosync 3, knet) from ha.cf and authkeys.
 * - Links: one knet link per heartbeat interface, in ha.cf's order. A link needs every node's address on
 *   it: ucast lines name them (one per node when both copies carry both lines); bcast and mcast name only
 *   the interface (knet is unicast: the multicast group is not used), so there the admin writes the
 *   addresses in place of the ADDRESS-OF-… words, and not-converted.txt says so. Serial links have no
 *   Corosync equivalent.
 * - Timing: Corosync's token is the time without the token before a node is declared lost, so it is
 *   deadtime; the token is retransmitted every token/(retransmits + 0.2) ms, so retransmits is deadtime over
 *   keepalive (a retransmission per heartbeat, as Heartbeat resent its packets); consensus is 1.2 × token
 *   (Corosync's own rule). With more than two nodes Corosync adds token_coefficient (650 ms) per extra node.
 * - Crypto: Heartbeat signs, it does not encrypt: sha1 and md5 become crypto_hash with crypto_cipher none;
 *   crc (no signature at all) becomes none, with a warning. The key is never copied: Corosync has its own
 *   (corosync-keygen).
 */
import type { AuthKeys } from '../../ha.d/config/authkeys.ts'
import type { HaCf } from '../../ha.d/config/hacf.ts'
import type { NotConverted } from './model.ts'

export interface CorosyncIn {
  hacf: HaCf
  nodes: string[]
  auth: AuthKeys
  authFile: string
  /** the line of authkeys' signing key */
  authLine: number
  /** addresses DRBD's .res files give each node (`on node1 { address 10.0.0.1:7788; }`): hints for a bcast link */
  drbdAddresses: Map<string, string>
}

const placeholder = (node: string, iface: string) => `ADDRESS-OF-${node}-ON-${iface}`

export function corosyncConf(o: CorosyncIn): { text: string; notConverted: NotConverted[] } {
  const { hacf, nodes } = o
  const notConverted: NotConverted[] = []
  const note = (line: number, reason: string, file = hacf.file) => notConverted.push({ file, line, reason })

  // interface → node → address, in the order the interfaces first appear
  const links = new Map<string, Map<string, string>>()
  const link = (iface: string) => links.get(iface) ?? links.set(iface, new Map()).get(iface)!
  const ucasts = new Map<string, { peers: string[]; line: number }>()
  for (const m of hacf.media) {
    if (m.kind === 'serial') {
      note(m.line, `serial ${m.device}: Corosync has no serial link; use a second network link instead`)
      continue
    }
    link(m.iface)
    if (m.kind === 'ucast') {
      const u = ucasts.get(m.iface) ?? ucasts.set(m.iface, { peers: [], line: m.line }).get(m.iface)!
      u.peers.push(m.peer)
    } else {
      const hint = [...o.drbdAddresses].map(([n, a]) => `${n} ${a}`).join(', ')
      note(m.line, `${m.kind} ${m.iface}: ha.cf names the interface, not the nodes' addresses on it (knet links are unicast${m.kind === 'mcast' ? `: the group ${m.group} is not used` : ''}): in corosync.conf write each node's address on ${m.iface} in place of ${nodes.map((n) => placeholder(n, m.iface)).join(', ')}${hint ? ` (DRBD's resource files give ${hint}: the replication link, if it is this one)` : ''}`)
    }
  }
  for (const [iface, { peers, line }] of ucasts) {
    const addresses = link(iface)
    if (peers.length === nodes.length) {
      peers.forEach((peer, i) => addresses.set(nodes[i], peer))
      note(line, `ucast ${iface}: the addresses taken as the nodes' in node order (${nodes.map((n, i) => `${n} ${peers[i]}`).join(', ')}): ha.cf does not say whose each one is; check them in corosync.conf`)
    } else {
      note(line, `ucast ${iface}: ${peers.length} address(es) for ${nodes.length} nodes (each node's ha.cf may name its peers, not itself): write the missing ones in place of the ADDRESS-OF-…-ON-${iface} words in corosync.conf`)
    }
  }
  const linkList = [...links].slice(0, 8)
  if (links.size > 8) note(0, `${links.size} heartbeat interfaces: knet takes 8 links; the first 8 are kept`)

  const token = hacf.deadtime
  const retransmits = Math.max(2, Math.round(hacf.deadtime / hacf.keepalive))
  const { method } = o.auth.use
  let hash = 'none'
  if (method === 'crc') {
    note(o.authLine, 'crc: Heartbeat signed nothing (anyone on the link could send heartbeats); Corosync is given no signature either (crypto_hash none): set crypto_cipher aes256 and crypto_hash sha256 and run corosync-keygen', o.authFile)
  } else {
    hash = method
    note(o.authLine, `${method}: carried over as crypto_hash ${method} (signed, not encrypted, as Heartbeat did); the key is not: run corosync-keygen on one node and copy /etc/corosync/authkey to the others (mode 400). Better: crypto_cipher aes256 and crypto_hash sha256${method === 'md5' ? ' (md5 is weak)' : ''}`, o.authFile)
  }

  const nodeBlocks = nodes.map((node, i) =>
    [
      '    node {',
      `        name: ${node}`,
      `        nodeid: ${i + 1}`,
      ...linkList.map(([iface, addresses], n) => `        ring${n}_addr: ${addresses.get(node) ?? placeholder(node, iface)}`),
      '    }',
    ].join('\n'),
  )
  const text = [
    `# written by halo convert from ${hacf.file}: the same file on every node, /etc/corosync/corosync.conf`,
    'totem {',
    '    version: 2',
    `    cluster_name: ${hacf.parameters.get('cluster') ?? 'linux-ha'}`,
    '    transport: knet',
    `    # a node silent for ${token} ms is lost (ha.cf's deadtime); a retransmission per keepalive (${hacf.keepalive} ms)`,
    `    token: ${token}`,
    `    token_retransmits_before_loss_const: ${retransmits}`,
    `    consensus: ${Math.round(token * 1.2)}`,
    ...(nodes.length > 2 ? [`    # with ${nodes.length} nodes Corosync waits token + ${nodes.length - 2} x token_coefficient (650 ms): ${token + (nodes.length - 2) * 650} ms`] : []),
    '    crypto_cipher: none',
    `    crypto_hash: ${hash}`,
    ...linkList.map(([iface], n) => `    # ${iface}\n    interface {\n        linknumber: ${n}\n    }`),
    '}',
    'nodelist {',
    ...nodeBlocks,
    '}',
    'quorum {',
    '    provider: corosync_votequorum',
    ...(nodes.length === 2 ? ['    # two nodes: the survivor of the pair keeps quorum (and both must be up at the first start)', '    two_node: 1'] : []),
    '}',
    'logging {',
    '    to_syslog: yes',
    '    to_logfile: yes',
    '    logfile: /var/log/corosync/corosync.log',
    '    timestamp: on',
    '}',
    '',
  ].join('\n')
  return { text, notConverted }
}
