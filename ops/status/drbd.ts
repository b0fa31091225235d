/** What halo status says of DRBD's state (read by lib/drbd.ts). */
import type { DrbdStatus } from '../../lib/drbd.ts'

/** What in DRBD's state means the pair has lost its copy of the data: a disk or a link not whole. */
export function drbdProblems(s: DrbdStatus): string[] {
  if (s.error) return [s.error]
  return s.resources.flatMap((r) => [
    ...(r.disk === 'UpToDate' ? [] : [`DRBD ${r.name}: disk ${r.disk}`]),
    ...r.peers.flatMap((p) => [...(p.connection === 'Connected' ? [] : [`DRBD ${r.name}: ${p.name} ${p.connection}`]), ...(p.connection === 'Connected' && p.disk !== 'UpToDate' ? [`DRBD ${r.name}: ${p.name}'s disk ${p.disk}`] : [])]),
  ])
}
