/**
 * Calling an alert exactly as mon does: `ALERT -s SVC -g GROUP -h "HOSTS" -t EPOCH [-u|-a|-D] args…`, the
 * service's VAR= lines and MON_* in the environment, the monitor's output on stdin. Detached and never
 * awaited: an alert that hangs (hb_standby on a FIFO nobody reads) must not stop the checks.
 */
import { spawnDetached } from '../lib/exec.ts'
import type { Service } from './config/moncf.ts'
import type { AlertKind, ServiceState } from './state.ts'
import type { Globals } from './types.ts'

/** MON_ALERTTYPE, and the flag mon adds to the arguments */
const typeOf: Record<AlertKind, { env: string; flag?: string; history: string }> = {
  failure: { env: 'failure', history: 'alert' },
  up: { env: 'up', flag: '-u', history: 'upalert' },
  startup: { env: 'startup', history: 'startupalert' },
  ack: { env: 'ack', flag: '-a', history: 'ackalert' },
  disable: { env: 'disable', flag: '-D', history: 'disablealert' },
  test: { env: 'test', history: 'testalert' },
}

export const historyWord = (kind: AlertKind): string => typeOf[kind].history

export const epoch = (ms: number): string => String(Math.floor(ms / 1000))

/**
 * The MON_* variables both monitors and alerts get. mon sets some only once they have a value: before
 * the first check there is no last output, summary or first failure.
 */
export function monEnv(group: string, svc: Service, st: ServiceState, g: Globals): Record<string, string> {
  const env: Record<string, string> = { ...svc.env, MON_GROUP: group, MON_SERVICE: svc.name }
  if (st.lastSummary !== undefined) env.MON_LAST_SUMMARY = st.lastSummary
  if (st.lastOutput !== undefined) env.MON_LAST_OUTPUT = st.lastOutput
  env.MON_LAST_FAILURE = epoch(st.lastFailure)
  if (st.exitval !== undefined) env.MON_FIRST_FAILURE = epoch(st.firstFailure)
  env.MON_LAST_SUCCESS = epoch(st.lastSuccess)
  if (svc.description !== undefined) env.MON_DESCRIPTION = svc.description
  env.MON_STATEDIR = g.statedir
  env.MON_LOGDIR = g.logdir
  env.MON_CFBASEDIR = g.cfbasedir
  return env
}

export interface AlertCall {
  script: string
  /** the configured arguments */
  args: readonly string[]
  kind: AlertKind
  group: string
  /** the group's enabled hosts */
  hosts: readonly string[]
  svc: Service
  st: ServiceState
  retval: number | undefined
  globals: Globals
  now: number
}

export function alertArgv(c: AlertCall): string[] {
  const flag = typeOf[c.kind].flag
  return [
    c.script,
    ...['-s', c.svc.name, '-g', c.group, '-h', c.hosts.join(' '), '-t', epoch(c.now)],
    ...(flag ? [flag] : []),
    ...c.args,
  ]
}

export function alertEnv(c: AlertCall): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...monEnv(c.group, c.svc, c.st, c.globals) }
  // mon exports MON_FIRST_SUCCESS to alerts without ever giving it a value
  env.MON_FIRST_SUCCESS = ''
  if (c.retval !== undefined) env.MON_RETVAL = String(c.retval)
  env.MON_OPSTATUS = String(c.st.opstatus)
  if (c.st.ack && c.st.ackComment) env.MON_ACK = c.st.ackComment
  env.MON_ALERTTYPE = typeOf[c.kind].env
  return env
}

/** Starts the alert with `output` on its stdin; returns its pid. */
export function startAlert(c: AlertCall, output: string): number {
  return spawnDetached(alertArgv(c), { env: alertEnv(c), input: output })
}
