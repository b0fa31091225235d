/**
 * A lossy heartbeat link, made with nftables in a node's network namespace (netem is not available here):
 * a share of the datagrams its peer sends to the heartbeat port is dropped on the way in, each one at
 * random. Only the peer's: a node's own broadcasts, which Linux loops back to it, are not on the link.
 */
import { runOk } from '../../lib/exec.ts'

const TABLE = 'haloloss'

/** Drops `percent` % of the UDP datagrams from `peer` to `port` arriving in `netns`, until `heal()`. */
export async function lossyLink(netns: string, peer: string, percent: number, port = 694): Promise<{ heal(): Promise<void> }> {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error(`loss ${percent}: a whole percentage from 0 to 100`)
  const rules = `table inet ${TABLE} {
  chain in {
    type filter hook input priority 0; policy accept;
    ip saddr ${peer} udp dport ${port} ${percent === 100 ? '' : `numgen random mod 100 < ${percent} `}drop
  }
}
`
  await runOk(['ip', 'netns', 'exec', netns, 'nft', '-f', '-'], { input: rules })
  return { heal: () => runOk(['ip', 'netns', 'exec', netns, 'nft', 'delete', 'table', 'inet', TABLE]).then(() => undefined) }
}
