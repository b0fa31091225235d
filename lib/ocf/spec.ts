/**
 * An agent is declared once: its parameters (typed, with defaults and descriptions), its actions and its
 * haresources form. lib/ocf/run.ts turns that into an executable serving Pacemaker and Heartbeat v1.
 */
import type { Logger } from '../log.ts'
import type { TimeUnit } from '../time.ts'

export type ParamType = 'string' | 'integer' | 'boolean' | 'time'

export interface ParamSpec {
  type: ParamType
  shortdesc: string
  longdesc?: string
  required?: boolean
  unique?: boolean
  default?: string | number | boolean
  /** the only values a string parameter takes */
  choices?: readonly string[]
  /** time: the unit of a bare number (default s) */
  unit?: TimeUnit
  /**
   * old names of this parameter, read from OCF_RESKEY_<alias> when it is unset, so configurations written
   * for an older agent keep working; meta-data advertises the current name only
   */
  aliases?: readonly string[]
}

export type ParamSpecs = Record<string, ParamSpec>

type ValueOf<S extends ParamSpec> = S['type'] extends 'integer' | 'time' ? number : S['type'] extends 'boolean' ? boolean : string

/** The typed parameters an action receives: required or defaulted ones are always there. */
export type Params<P extends ParamSpecs> = {
  [K in keyof P]: P[K] extends { required: true } | { default: unknown } ? ValueOf<P[K]> : ValueOf<P[K]> | undefined
}

export interface ActionContext<P extends ParamSpecs, R = undefined> {
  params: Params<P>
  /** what the agent's resolve step made of the parameters, worked out once per call */
  resolved: R
  action: string
  /** OCF_CHECK_LEVEL, lowered to the deepest level the agent has that does not exceed it */
  depth: number
  /** a monitor with interval 0: Pacemaker asking whether the resource runs here at all */
  probe: boolean
  /** the action's time budget in ms (CRM_meta_timeout, else the agent's default) */
  timeout: number
  /** performance.now() by which the action must have finished */
  deadline: number
  door: 'ocf' | 'v1'
  instance: string
  log: Logger
  env: NodeJS.ProcessEnv
  /**
   * Heartbeat v1 `status` only: the line printed and the exit code, where the agent's words are richer
   * than running/stopped (drbddisk answers `running (Primary)` as Heartbeat's own drbddisk does). Heartbeat
   * reads the words, so the line must still say "running" only when the resource runs here.
   */
  v1Status?: { line: string; exitCode: number }
}

/** An action returns an OCF code, or throws a HaloError carrying one with the reason. */
export type Action<P extends ParamSpecs, R = undefined> = (ctx: ActionContext<P, R>) => Promise<number> | number

export type ActionName = 'start' | 'stop' | 'monitor' | 'promote' | 'demote' | 'notify' | 'reload'

export interface AgentSpec<P extends ParamSpecs, R = undefined> {
  name: string
  version: string
  shortdesc: string
  longdesc: string
  parameters: P
  actions: { start: Action<P, R>; stop: Action<P, R>; monitor: Action<P, R> } & Partial<Record<ActionName, Action<P, R>>>
  /** default timeouts in seconds, as advertised in meta-data */
  timeouts?: Partial<Record<ActionName | 'validate-all', number>>
  /** monitor interval in seconds advertised in meta-data (default 10) */
  monitorInterval?: number
  /** depths the monitor implements (default [0]) */
  depths?: readonly number[]
  /** programs the agent cannot work without; missing ones give 5 (7 for a probe) */
  binaries?: (params: Params<P>) => readonly string[]
  /**
   * What the parameters mean (an address and its interface, a canonical mount point, paths read from an
   * option file), worked out once per call, after the binaries are checked and before validate; the
   * result is ctx.resolved for validate and the action. Throws HaloError(6 | 5, reason) like validate.
   */
  resolve?: (params: Params<P>) => R
  /** checks beyond types, before any action touches the system; throws HaloError(6 | 5 | 2, reason) */
  validate?: (ctx: ActionContext<P, R>) => Promise<void> | void
  /** the Heartbeat v1 (haresources) form: positional arguments mapped onto parameters */
  v1?: {
    usage: string
    parse(args: readonly string[]): Record<string, string>
  }
}

export function defineAgent<P extends ParamSpecs, R = undefined>(spec: AgentSpec<P, R>): AgentSpec<P, R> {
  return spec
}
