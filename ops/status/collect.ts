/**
 * Everything `halo status` shows, gathered at once and each part bounded: the engine's own status (its
 * control socket), the files (ha.cf, haresources), each resource's `status` run as ResourceManager runs it,
 * DRBD, halo-mon. A part that cannot answer says why; the rest is shown all the same.
 */
import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../../lib/errors.ts'
import { run } from '../../lib/exec.ts'
import { findExecutable } from '../../lib/which.ts'
import { ask, type EngineStatus } from '../../ha.d/control.ts'
import type { FenceRecord } from '../../ha.d/fencing.ts'
import { statusSaysRunning } from '../../ha.d/resources.ts'
import { type HaCf, readHaCf } from '../../ha.d/config/hacf.ts'
import { type HistoryEvent, historyPath, lastFailover, readHistory } from '../../ha.d/history.ts'
import { type ResourceGroup, readHaresources } from '../../ha.d/config/haresources.ts'
import { scriptEnvironment } from '../../ha.d/settings.ts'
import { type DrbdStatus, drbdProblems, drbdStatus } from './drbd.ts'
import { type MonStatus, monStatus } from './mon.ts'

export interface StatusOptions {
  confDir: string
  controlSocket: string
  monHost: string
  monPort: number
  /** mon.cf: when it is there, halo-mon not answering is a problem */
  monCf: string
  /** every query's bound */
  timeoutMs: number
  /** the name of this node when ha.cf cannot say (uname -n) */
  uname?: string
}

export type Health = 'ok' | 'degraded' | 'down'

/** The failures the engine counted for a resource (local recovery), and its recovery.cf policy. */
export interface Failures {
  count: number
  /** migration-threshold: restarts in place allowed; null: INFINITY */
  threshold: number | null
  /** failure-timeout in ms; 0: never forgotten */
  windowMs: number
  /** ISO time of each failure counted */
  at: string[]
}

export interface StatusReport {
  node: string
  /** ISO time of this report */
  time: string
  engine: { running: boolean; version?: string; pid?: number; resources?: string; error?: string }
  /** why ha.cf or haresources could not be read (the groups are then unknown) */
  configError?: string
  nodes: { name: string; self: boolean; status: string; links: { iface: string; status: 'up' | 'dead' }[]; generation?: number; since?: string }[]
  pingNodes: { name: string; status: string }[]
  groups: {
    /** the preferred node (haresources) */
    owner: string
    /** who runs it now: a node's name, 'transition', or null when nobody does or it is not known */
    heldBy: string | null
    resources: { name: string; state: 'running' | 'stopped' | 'unknown'; detail?: string; failures?: Failures }[]
  }[]
  /** only when haresources runs DRBD (drbddisk, drbd) */
  drbd?: DrbdStatus
  mon: MonStatus
  fencing: { configured: boolean; devices: { type: string; where: string; targets: readonly string[]; answers?: boolean }[]; lastFence?: FenceRecord }
  /** The last failover (when, why, how long): from the event history (ha.d/history.ts), wired in there. */
  lastFailover?: { at: string; why: string; ms: number } | null
  health: Health
  problems: string[]
}

async function engineStatus(o: StatusOptions): Promise<{ status?: EngineStatus; error?: string }> {
  try {
    const a = await ask({ op: 'status' }, o.controlSocket, o.timeoutMs)
    if (!a) return { error: `the heartbeat engine is not running (nothing listens on ${o.controlSocket})` }
    if (!a.ok || !a.status) return { error: a.ok ? 'the engine sent no status' : a.error }
    return { status: a.status }
  } catch (e) {
    return { error: errorMessage(e) }
  }
}

/** A resource's `status` as ResourceManager runs it (argv, its HA_ environment, its words). */
async function resourceState(dirs: readonly string[], env: NodeJS.ProcessEnv, r: { script: string; args: readonly string[] }, timeoutMs: number) {
  const path = findExecutable(r.script, dirs)
  if (!path) return { state: 'unknown' as const, detail: `no executable ${r.script} in ${dirs.join(' or ')}` }
  try {
    const res = await run([path, ...r.args, 'status'], { env, timeout: timeoutMs, untilExit: true })
    if (res.timedOut) return { state: 'unknown' as const, detail: `status did not answer within ${timeoutMs} ms` }
    return { state: statusSaysRunning(res.stdout) ? ('running' as const) : ('stopped' as const) }
  } catch (e) {
    return { state: 'unknown' as const, detail: errorMessage(e) }
  }
}

/** Who holds each group, from the engine's word for what this node holds (cl_status rscstatus). */
function holder(word: string | undefined, self: string, peer: string | undefined, owner: string): string | null {
  if (word === undefined) return null
  if (word === 'transition') return 'transition'
  const ours = owner === self
  const here = word === 'all' || (word === 'local' && ours) || (word === 'foreign' && !ours)
  return here ? self : (peer ?? null)
}

export async function collectStatus(o: StatusOptions): Promise<StatusReport> {
  // ha.cf and haresources only: authkeys is the engine's secret, and nothing shown here needs it
  let hacf: HaCf | undefined
  let haresources: ResourceGroup[] = []
  let configError: string | undefined
  try {
    hacf = readHaCf(join(o.confDir, 'ha.cf'), o.uname ?? hostname())
    haresources = readHaresources(join(o.confDir, 'haresources'), hacf.nodes)
  } catch (e) {
    configError = errorMessage(e)
  }
  const usesDrbd = haresources.some((g) => g.resources.some((r) => r.script === 'drbddisk' || r.script === 'drbd'))
  const dirs = [`${o.confDir}/resource.d`, '/etc/init.d']
  const env = hacf ? scriptEnvironment({ config: { node: hacf.localNode, parameters: Object.fromEntries(hacf.parameters) }, logSinks: { file: hacf.logging.logfile, debugFile: hacf.logging.debugfile } }, o.confDir) : process.env
  const [engine, resources, drbd, mon] = await Promise.all([
    engineStatus(o),
    Promise.all(haresources.map((g) => Promise.all(g.resources.map((r) => resourceState(dirs, env, r, o.timeoutMs))))),
    usesDrbd ? drbdStatus(o.timeoutMs) : undefined,
    monStatus(o.monHost, o.monPort, o.timeoutMs),
  ])
  const es = engine.status
  const self = es?.node ?? hacf?.localNode ?? o.uname ?? hostname()
  const configured = hacf?.nodes ?? []
  const nodes: StatusReport['nodes'] = es
    ? es.nodes.filter((n) => n.type === 'normal').map((n) => ({ name: n.name, self: n.name === self, status: n.status, links: n.links, generation: n.generation, since: n.since }))
    : configured.map((name) => ({ name, self: name === self, status: name === self ? 'stopped' : 'unknown', links: [] }))
  const pingNodes = es ? es.nodes.filter((n) => n.type === 'ping').map((n) => ({ name: n.name, status: n.status === 'ping' ? 'up' : n.status })) : (hacf?.pingNodes ?? []).map((p) => ({ name: p.name, status: 'unknown' }))
  const peer = nodes.find((n) => !n.self)
  const peerAlive = peer && peer.status !== 'dead' && peer.status !== 'unknown' && peer.status !== 'init'
  const groups: StatusReport['groups'] = haresources.map((g, i) => {
    const rs = g.resources.map((r, j) => {
      const name = [r.script, ...r.args].join('::')
      const f = es?.failures?.find((x) => x.resource === name)
      return { name, ...resources[i][j], failures: f && { count: f.count, threshold: f.threshold, windowMs: f.windowMs, at: f.failures } }
    })
    let heldBy = holder(es?.resources, self, peerAlive ? peer.name : undefined, g.node)
    // the engine down: what runs here is all this node knows
    if (!es && rs.some((r) => r.state === 'running')) heldBy = self
    return { owner: g.node, heldBy, resources: rs }
  })
  const f = es?.fencing
  const fencing: StatusReport['fencing'] = { configured: !!f && f.devices.length > 0, devices: (f?.devices ?? []).map((d) => ({ type: d.type, where: d.where, targets: d.targets, answers: d.answers })), lastFence: f?.history.at(-1) }

  const down: string[] = []
  const degraded: string[] = []
  if (configError) down.push(...configError.split('\n'))
  if (!es) down.push(engine.error ?? 'the heartbeat engine is not running')
  for (const n of nodes.filter((x) => !x.self && es)) {
    if (n.status === 'dead') degraded.push(`node ${n.name} is dead`)
    else for (const l of n.links.filter((x) => x.status === 'dead')) degraded.push(`node ${n.name}: link ${l.iface} is dead`)
  }
  for (const p of pingNodes.filter((x) => x.status === 'dead')) degraded.push(`ping node ${p.name} is dead`)
  for (const g of groups) {
    const name = g.resources[0]?.name ?? g.owner
    if (es && g.heldBy === null) down.push(`group ${name}: nobody runs it`)
    if (g.heldBy === self) for (const r of g.resources.filter((x) => x.state !== 'running')) down.push(`group ${name}: ${r.name} is ${r.state} on ${self}${r.detail ? ` (${r.detail})` : ''}`)
    if (g.heldBy !== self) for (const r of g.resources.filter((x) => x.state === 'running')) degraded.push(`group ${name}: ${r.name} runs on ${self}, which does not hold the group`)
  }
  if (drbd) degraded.push(...drbdProblems(drbd))
  if (!mon.running && existsSync(o.monCf)) degraded.push(`${mon.error} though ${o.monCf} is there`)
  if (mon.running) {
    if (mon.error) degraded.push(mon.error)
    for (const s of mon.services.filter((x) => x.opstatus !== 'ok' && x.opstatus !== 'untested')) degraded.push(`halo-mon ${s.group}/${s.service}: ${s.opstatus}${s.summary ? ` (${s.summary})` : ''}`)
  }
  if (fencing.lastFence && !fencing.lastFence.ok) degraded.push(`the last fence of ${fencing.lastFence.target} failed: ${fencing.lastFence.said}`)
  return {
    node: self,
    time: new Date().toISOString(),
    engine: es ? { running: true, version: es.version, pid: es.pid, resources: es.resources } : { running: false, error: engine.error },
    configError,
    nodes,
    pingNodes,
    groups,
    drbd,
    mon,
    fencing,
    lastFailover: failover(lastFailover(readHistory(historyPath()))),
    health: down.length > 0 ? 'down' : degraded.length > 0 ? 'degraded' : 'ok',
    problems: [...down, ...degraded],
  }
}

/** the last takeover of this node's event history, as status shows it */
function failover(e: HistoryEvent | undefined): StatusReport['lastFailover'] {
  return e ? { at: e.at, why: e.cause ?? e.text, ms: e.ms ?? 0 } : null
}

export const exitCode = (h: Health): number => ({ ok: 0, degraded: 1, down: 2 })[h]
