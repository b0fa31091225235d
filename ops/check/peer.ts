/**
 * `halo check --peer`: this node's cluster files against the peer's, asked through the running engines
 * (ha.d/peer-files.ts). Each difference is a finding at this node's file:line with both sides' lines, as a
 * diff: `-` this node, `+` the peer. haresources and authkeys must be the same on both nodes (Heartbeat
 * requires it): a difference is an error; ha.cf, mon.cf and DRBD's files may hold a node's own lines
 * (a ucast address, an interface): a difference is a warning.
 */
import { readClusterFiles, type ClusterFilesSpec, type SharedFile } from '../../ha.d/cluster-files.ts'
import { ask } from '../../ha.d/control.ts'
import type { PeerFiles } from '../../ha.d/peer-files.ts'
import { errorMessage } from '../../lib/errors.ts'
import type { Findings } from './findings.ts'

const MUST_MATCH = new Set(['haresources', 'authkeys'])

type Step = { op: '=' | '-' | '+'; line: string; here: number; there: number }

/** A line diff (longest common subsequence): small files, so the quadratic table is cheap. */
function diffLines(a: readonly string[], b: readonly string[]): Step[] {
  const n = a.length
  const m = b.length
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  const steps: Step[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) steps.push({ op: '=', line: a[i], here: ++i, there: ++j })
    // this node's lines first, as diff -u shows them
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) steps.push({ op: '-', line: a[i], here: ++i, there: j })
    else steps.push({ op: '+', line: b[j], here: i, there: ++j })
  }
  return steps
}

/** The runs of changed lines: each with this node's first line (or the line it follows) and the peer's. */
function hunks(steps: readonly Step[]): { here: number; there: number; lines: string[] }[] {
  const out: { here: number; there: number; lines: string[] }[] = []
  let open: (typeof out)[number] | undefined
  for (const s of steps) {
    if (s.op === '=') {
      open = undefined
      continue
    }
    if (!open) out.push((open = { here: s.op === '-' ? s.here : s.here + 1, there: s.op === '+' ? s.there : s.there + 1, lines: [] }))
    open.lines.push(`  ${s.op} ${s.line}`)
  }
  return out
}

const lines = (text: string) => (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n')

/** The differences between this node's files and the peer's, as findings. */
function compareWithPeer(f: Findings, local: readonly SharedFile[], peer: PeerFiles): void {
  const theirs = new Map(peer.files.map((x) => [x.name, x]))
  const names = [...new Set([...local.map((x) => x.name), ...peer.files.map((x) => x.name)])]
  for (const name of names) {
    const mine = local.find((x) => x.name === name)
    const other = theirs.get(name)
    const path = mine?.path ?? other!.path
    const say = (line: number, text: string) => (MUST_MATCH.has(name) ? f.error(path, line, text) : f.warn(path, line, text))
    const state = (x: SharedFile | undefined) => x?.state ?? 'missing'
    if (state(mine) !== 'present' || state(other) !== 'present') {
      if (state(mine) !== state(other)) say(0, `${state(mine)} here, ${state(other)} on ${peer.node}${other ? ` (${other.path})` : ''}${[mine?.why, other?.why].filter(Boolean).map((w) => `: ${w}`).join('')}`)
      continue
    }
    if (mine!.digest === other!.digest) continue
    if (mine!.text === undefined || other!.text === undefined) {
      say(0, `differs from ${peer.node}'s ${other!.path} (${mine!.why ?? other!.why ?? 'compared by digest'})`)
      continue
    }
    const found = hunks(diffLines(lines(mine!.text), lines(other!.text)))
    // the same lines, yet another digest: a difference in a password's line or at the end of the file
    if (found.length === 0) say(0, `differs from ${peer.node}'s ${other!.path} (a password or the end of the file)`)
    for (const h of found) say(h.here, `differs from ${peer.node}:${other!.path}:${h.there} (- here, + ${peer.node}):\n${h.lines.join('\n')}`)
  }
}

/** Asks the engine for the peer's files and compares; the reason when it cannot. */
export async function checkPeer(f: Findings, spec: ClusterFilesSpec, socket: string, timeoutMs: number): Promise<string | undefined> {
  let answer
  try {
    answer = await ask({ op: 'peer-files', timeoutMs }, socket, timeoutMs + 5000)
  } catch (e) {
    return errorMessage(e)
  }
  if (!answer) return `the heartbeat engine is not running here (nothing listens on ${socket}): --peer compares through the running engines`
  if (!answer.ok) return answer.error
  if (!answer.peerFiles) return 'the engine answered without the peer\'s files: is it older than this halo?'
  compareWithPeer(f, readClusterFiles(spec, answer.peerFiles.salt), answer.peerFiles)
  return undefined
}

