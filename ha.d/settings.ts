/**
 * The engine's configuration from the admin's files, read by ha.d/config exactly as Heartbeat reads them
 * (ha.cf, haresources, authkeys in CONFDIR): what the engine runs on, and where it logs.
 */
import { hostname } from 'node:os'
import { join } from 'node:path'
import { type AuthKeys, readAuthKeys } from './config/authkeys.ts'
import { type AutoFailback, readHaCf, type HaCf } from './config/hacf.ts'
import type { Medium } from './config/hacf-media.ts'
import { readHaresources } from './config/haresources.ts'
import { readRecoveryCf, type RecoveryConfig } from './config/recovery.ts'
import { ConfigError, collectConfigError, throwConfigErrors } from '../lib/errors.ts'
import type { LogSinks } from '../lib/log.ts'
import { readFenceCf } from './fence-cf.ts'
import type { FencingConfig } from './fencing.ts'
import type { PingNodeConfig } from './ping.ts'
import type { Resource } from './resources.ts'
import { heartbeatClientEnv, type RespawnConfig } from './respawn.ts'

/** What the engine needs of ha.cf, haresources and authkeys (times in ms). */
export interface EngineConfig {
  node: string
  nodes: readonly string[]
  keepalive: number
  deadtime: number
  warntime: number
  initdead: number
  deadping: number
  media: readonly Medium[]
  pingNodes: readonly PingNodeConfig[]
  autoFailback: AutoFailback
  groups: readonly { owner: string; resources: readonly Resource[] }[]
  auth: AuthKeys
  /** every ha.cf directive as written, for HA_<name> and `cl_status hbparameter` */
  parameters: Record<string, string>
  hopfudge: number
  /** respawn and failfast lines */
  respawn: RespawnConfig
  /** recovery.cf: the local recovery policy (halo's own file) */
  recovery: RecoveryConfig
}

export interface Settings {
  config: EngineConfig
  /** ha.cf as read, for the checks of this host at start (host-checks.ts) */
  hacf: HaCf
  /** ha.cf's stonith lines and fence.cf, for Fencing.open (it runs the plugins to check them) */
  fencing: FencingConfig
  logSinks: LogSinks
  /** what Heartbeat also warns about, as file:line text */
  warnings: string[]
}

/** Every error of ha.cf, haresources, authkeys and fence.cf is reported (a ConfigErrors), as Heartbeat reports each. */
export function loadSettings(confDir: string, uname = hostname()): Settings {
  const errors: ConfigError[] = []
  const read = <T>(fn: () => T) => collectConfigError(errors, fn)
  const cf = read(() => readHaCf(join(confDir, 'ha.cf'), uname))
  // haresources and fence.cf name ha.cf's nodes: read once ha.cf is
  const haresources = cf && read(() => readHaresources(join(confDir, 'haresources'), cf.nodes))
  const recoveryCf = haresources && read(() => readRecoveryCf(confDir, haresources))
  const authkeys = read(() => readAuthKeys(join(confDir, 'authkeys')))
  const hbMedia = cf && read(() => media(cf))
  const fenceCfRead = cf && read(() => readFenceCf(join(confDir, 'fence.cf'), cf.nodes))
  throwConfigErrors(errors)
  // no error: each was read
  const [hacf, groups, auth, medium, fenceCf, recovery] = [cf!, haresources!, authkeys!, hbMedia!, fenceCfRead!, recoveryCf!]
  const config: EngineConfig = {
    node: hacf.localNode,
    nodes: hacf.nodes,
    keepalive: hacf.keepalive,
    deadtime: hacf.deadtime,
    warntime: hacf.warntime,
    initdead: hacf.initdead,
    deadping: hacf.deadping,
    media: medium,
    pingNodes: hacf.pingNodes.map((p) => ({ name: p.name, hosts: p.hosts })),
    autoFailback: hacf.autoFailback,
    groups: groups.map((g) => ({ owner: g.node, resources: g.resources })),
    auth,
    parameters: Object.fromEntries(hacf.parameters),
    hopfudge: hacf.hopfudge,
    respawn: { file: hacf.file, clients: hacf.respawn, env: heartbeatClientEnv(hacf, confDir) },
    recovery,
  }
  const { logging } = hacf
  const logSinks: LogSinks = {
    tag: 'heartbeat',
    // with no log line Heartbeat sends everything to logd, which writes to syslog: halo goes there directly
    facility: logging.facility ?? (logging.useLogd ? 'daemon' : undefined),
    file: logging.logfile,
    debugFile: logging.debugfile,
    debug: hacf.debug > 0,
  }
  const fencing: FencingConfig = {
    node: hacf.localNode,
    nodes: hacf.nodes,
    hacfFile: hacf.file,
    stonith: hacf.stonith,
    fenceCf,
    deadtime: hacf.deadtime,
  }
  const warnings = hacf.warnings.map((w) => `${hacf.file}:${w.line}: ${w.text}`)
  return { config, hacf, fencing, logSinks, warnings: [...warnings, ...crcWarnings(join(confDir, 'authkeys'), config.auth)] }
}

/**
 * A crc key is a checksum, not a signature: anyone who can send to a heartbeat medium can sign with it.
 * Heartbeat's documentation keeps it for networks nothing else is on; say so at every start.
 */
export function crcWarnings(file: string, auth: AuthKeys): string[] {
  return [...auth.keys.values()]
    .filter((k) => k.method === 'crc')
    .map((k) => `${file}: key ${k.index} is crc, which has no secret: ${k === auth.use ? 'what this node sends, and ' : ''}any message signed ${k.index} crc is accepted, whoever sent it. Use it only on a heartbeat network nothing else is on (a crossover cable); elsewhere write ${k.index} sha1 YourSecret on both nodes`)
}

/**
 * What resource scripts, rc.d hooks and respawned clients get, as from Heartbeat: the engine's environment,
 * this node, and each recorded ha.cf parameter as HA_<name> (ha.d/config/hacf.ts: Heartbeat's own list, so
 * never stonith_host's password, respawn or apiauth lines).
 */
export function scriptEnvironment(s: { config: Pick<EngineConfig, 'node' | 'parameters'>; logSinks: Pick<LogSinks, 'file' | 'debugFile'> }, confDir: string, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...from, HA_CURHOST: s.config.node, HA_RESOURCEDIR: `${confDir}/resource.d` }
  for (const [k, v] of Object.entries(s.config.parameters)) env[`HA_${k}`] = v
  if (s.logSinks.file) env.HA_LOGFILE = s.logSinks.file
  if (s.logSinks.debugFile) env.HA_DEBUGLOG = s.logSinks.debugFile
  return env
}

/** What changed between two readings of the files that only a restart applies (reload applies the keys and recovery.cf; `parameters` mirrors the rest). */
export function restartNeeded(now: EngineConfig, next: EngineConfig): string[] {
  const applied = new Set(['auth', 'parameters', 'recovery'])
  return (Object.keys(now) as (keyof EngineConfig)[]).filter((k) => !applied.has(k) && JSON.stringify(now[k]) !== JSON.stringify(next[k]))
}

function media(hacf: HaCf): Medium[] {
  const out: Medium[] = []
  for (const m of hacf.media) {
    if (m.kind === 'serial') throw new ConfigError(hacf.file, m.line, `serial ${m.device}: halo has no serial heartbeat; use bcast, ucast or mcast`)
    const { line: _line, ...medium } = m
    out.push(medium)
  }
  return out
}
