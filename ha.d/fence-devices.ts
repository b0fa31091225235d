/**
 * The fence devices a node can use, each driven as its own tools expect, through the real programs:
 *   - ha.cf's `stonith_host HOSTFROM TYPE PARAMS…` and `stonith TYPE FILE`: cluster-glue's plugins through its
 *     `stonith` command, with Heartbeat's action (reset), so one ha.cf fences alike from halo and Heartbeat;
 *   - fence.cf's `device NODE fence_AGENT key=value…`: fence-agents' programs with their options on stdin.
 * Passwords never reach an argv or a log: plugin parameters go in a 0600 file of a private directory
 * (`stonith -F`), agent options on stdin, and every output logged has the secrets masked.
 */
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../lib/errors.ts'
import { run, type RunResult } from '../lib/exec.ts'
import { findExecutable } from '../lib/which.ts'
import type { Stonith } from './config/hacf.ts'
import type { FenceAgentLine } from './fence-cf.ts'

/** How long one fence command may take before it counts as failed. */
const FENCE_TIMEOUT_MS = 60_000
const CHECK_TIMEOUT_MS = 30_000
/** a power status answered slower than this is no help in a race: treated as "cannot tell" */
const STATUS_TIMEOUT_MS = 5000
const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin']
/** the fence programs get nothing of the engine's environment */
const CLEAN_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' }

export interface FenceOutcome {
  ok: boolean
  /** what the device said, secrets masked */
  said: string
}

export interface FenceDevice {
  /** `external/ipmi`, `fence_ipmilan` */
  readonly type: string
  /** where it is configured: ha.cf:14 */
  readonly where: string
  /** reset, reboot, off */
  readonly action: string
  /** the nodes it can fence */
  readonly targets: readonly string[]
  fence(target: string): Promise<FenceOutcome>
  /** undefined when the device answers; otherwise why not */
  check(): Promise<string | undefined>
  /** true only when the device itself says the node's power is off (so it cannot be writing) */
  poweredOff(target: string): Promise<boolean>
}

/** Writes a secret file in the private directory: created here, 0600, never through a link. */
function writeSecret(dir: string, name: string, text: string): string {
  const path = join(dir, name)
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
  return path
}

/** One line of what a device printed, without fence-agents' Python warnings, with the secrets masked. */
function said(r: RunResult, secrets: readonly string[]): string {
  let text = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.trim() && !/DeprecationWarning|^\s*from pipes import|logd is not running/.test(l))
    .join('; ')
  for (const s of secrets) if (s) text = text.split(s).join('****')
  if (r.timedOut) text = `no answer within the time allowed${text ? `: ${text}` : ''}`
  else if (r.code !== 0) text = `exit ${r.code ?? r.signal}${text ? `: ${text}` : ''}`
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** A cluster-glue plugin, run through `stonith -t TYPE -F PARAMFILE`. */
export class StonithPlugin implements FenceDevice {
  readonly action = 'reset'

  private constructor(
    readonly type: string,
    readonly where: string,
    readonly targets: readonly string[],
    private readonly paramFile: string,
    private readonly names: readonly string[],
    private readonly params: readonly string[],
    private readonly secrets: readonly string[],
    private readonly secretDir: string,
  ) {}

  /**
   * Checks the line as Heartbeat would refuse it (unknown type, parameters missing, a host not in ha.cf) and
   * learns which nodes the device fences (`stonith -l`). Undefined when the line is for another node.
   */
  static async open(line: Stonith, file: string, self: string, nodes: readonly string[], secretDir: string): Promise<StonithPlugin | undefined> {
    const fail = (why: string): never => {
      throw new ConfigError(file, line.line, why)
    }
    if (line.host !== '*' && !nodes.includes(line.host)) fail(`stonith_host ${line.host}: not a node of ha.cf (${nodes.join(', ')}): write one of them, or * for any`)
    const types = await run(['stonith', '-L'], { env: CLEAN_ENV, timeout: CHECK_TIMEOUT_MS })
    const known = await run(['stonith', '-t', line.type, '-n'], { env: CLEAN_ENV, timeout: CHECK_TIMEOUT_MS })
    if (!types.stdout.split(/\s+/).includes(line.type) || known.code !== 0) fail(`unknown stonith type ${line.type}: \`stonith -L\` lists the installed plugins (Debian package cluster-glue)`)
    const names = known.stdout.split(/\s+/).filter(Boolean)
    let paramFile: string
    let secrets: string[] = []
    if (line.configFile !== undefined) {
      paramFile = line.configFile
    } else {
      if (line.params.length < names.length) {
        fail(`stonith_host ${line.type} needs ${names.length} parameters (${names.join(' ')}); missing: ${names.slice(line.params.length).join(' ')}`)
      }
      // which words are passwords the plugin itself says, by their names
      secrets = line.params.filter((_, i) => /pass|secret|community|key/i.test(names[i] ?? ''))
      paramFile = writeSecret(secretDir, `stonith-${line.line}`, `${line.params.join(' ')}\n`)
    }
    if (line.host !== '*' && line.host !== self) return undefined
    const where = `${file}:${line.line}`
    const hosts = await run(['stonith', '-t', line.type, '-F', paramFile, '-l'], { env: CLEAN_ENV, timeout: CHECK_TIMEOUT_MS })
    if (hosts.code !== 0) fail(`stonith -t ${line.type} -l (the nodes it fences) failed: ${said(hosts, secrets) || 'check its parameters against `stonith -t ' + line.type + ' -n`'}`)
    const targets = hosts.stdout.split(/\s+/).filter(Boolean).map((h) => h.toLowerCase())
    const strangers = targets.filter((h) => !nodes.includes(h))
    if (strangers.length > 0) fail(`stonith ${line.type} fences ${strangers.join(', ')}, not a node of ha.cf (${nodes.join(', ')}): fix the host name in its parameters`)
    return new StonithPlugin(line.type, where, targets, paramFile, names, line.params, secrets, secretDir)
  }

  private stonith(args: readonly string[], timeout: number): Promise<RunResult> {
    return run(['stonith', '-t', this.type, '-F', this.paramFile, ...args], { env: CLEAN_ENV, timeout })
  }

  async fence(target: string): Promise<FenceOutcome> {
    const r = await this.stonith(['-T', 'reset', target], FENCE_TIMEOUT_MS)
    return { ok: r.code === 0 && !r.timedOut, said: said(r, this.secrets) }
  }

  async check(): Promise<string | undefined> {
    const r = await this.stonith(['-S'], CHECK_TIMEOUT_MS)
    return r.code === 0 ? undefined : `stonith -S: ${said(r, this.secrets) || `exit ${r.code}`}`
  }

  /**
   * cluster-glue has no "power status of a node"; for external/ipmi the same BMC is asked with ipmitool
   * (its parameters are hostname ipaddr userid passwd interface), the password in a file, never in argv.
   */
  async poweredOff(target: string): Promise<boolean> {
    if (this.type !== 'external/ipmi' || !this.targets.includes(target)) return false
    const [, ipaddr, userid, passwd, iface] = this.names.map((_, i) => this.params[i] ?? '')
    if (!ipaddr || !userid) return false
    const pwFile = writeSecret(this.secretDir, `ipmi-${process.hrtime.bigint()}`, passwd)
    try {
      const r = await run(['ipmitool', '-I', iface === 'lanplus' ? 'lanplus' : 'lan', ...(iface === 'lanplus' ? ['-C', '3'] : []), '-H', ipaddr, '-U', userid, '-f', pwFile, 'chassis', 'power', 'status'], { env: CLEAN_ENV, timeout: STATUS_TIMEOUT_MS })
      return r.code === 0 && /Chassis Power is off/.test(r.stdout)
    } finally {
      rmSync(pwFile, { force: true })
    }
  }
}

/** A fence-agents program (fence_ipmilan, fence_redfish…): `action=…` and its options on stdin. */
export class FenceAgent implements FenceDevice {
  readonly action: string
  readonly targets: readonly string[]
  private readonly secrets: string[]

  private constructor(
    readonly type: string,
    readonly where: string,
    private readonly path: string,
    private readonly line: FenceAgentLine,
  ) {
    this.action = line.options.find(([k]) => k === 'action')?.[1] ?? 'reboot'
    this.targets = [line.target]
    this.secrets = line.options.filter(([k]) => /pass|secret|community|key/i.test(k)).map(([, v]) => v)
  }

  static open(line: FenceAgentLine, file: string): FenceAgent {
    const path = findExecutable(line.agent, SBIN)
    if (!path) throw new ConfigError(file, line.line, `${line.agent} is not installed (Debian package fence-agents)`)
    return new FenceAgent(line.agent, `${file}:${line.line}`, path, line)
  }

  private ask(action: string, timeout: number): Promise<RunResult> {
    const input = [`action=${action}`, ...this.line.options.filter(([k]) => k !== 'action').map(([k, v]) => `${k}=${v}`), ''].join('\n')
    return run([this.path], { input, env: CLEAN_ENV, timeout })
  }

  async fence(): Promise<FenceOutcome> {
    const r = await this.ask(this.action, FENCE_TIMEOUT_MS)
    return { ok: r.code === 0 && !r.timedOut, said: said(r, this.secrets) }
  }

  async check(): Promise<string | undefined> {
    const r = await this.ask('monitor', CHECK_TIMEOUT_MS)
    return r.code === 0 ? undefined : `action=monitor: ${said(r, this.secrets) || `exit ${r.code}`}`
  }

  /** fence-agents' status: exit 0 on, 2 off */
  async poweredOff(): Promise<boolean> {
    const r = await this.ask('status', STATUS_TIMEOUT_MS)
    return r.code === 2 && !r.timedOut
  }
}
