/**
 * The executable behind every agent. One spec, two front doors:
 *   OCF (Pacemaker, ocf-tester, crm_resource): `agent ACTION`, parameters from OCF_RESKEY_*
 *   Heartbeat v1 (haresources):               `agent arg1 arg2 … start|stop|status`
 * Parameters are checked before any action touches the system; every failure leaves with its OCF code and
 * a reason (on stderr behind OCF_EXIT_REASON_PREFIX), never a stack trace.
 */
import { basename } from 'node:path'
import { HaloError, errorMessage } from '../errors.ts'
import { Logger, ocfLogSinks } from '../log.ts'
import { findExecutable } from '../which.ts'
import { OCF } from './codes.ts'
import { parseParams, paramsFromEnv } from './params.ts'
import type { Action, ActionContext, ActionName, AgentSpec, ParamSpecs, Params } from './spec.ts'

const v1Actions = new Set(['start', 'stop', 'status'])

export function runAgent<P extends ParamSpecs, R>(spec: AgentSpec<P, R>): void {
  const invokedAs = basename(process.argv[1] ?? spec.name)
  const log = new Logger(ocfLogSinks(`${invokedAs}(${process.env.OCF_RESOURCE_INSTANCE ?? invokedAs})`))
  dispatch(spec as unknown as AgentSpec<ParamSpecs, unknown>, process.argv.slice(2), process.env, log).then(
    async (code) => {
      await log.close()
      process.exit(code)
    },
  )
}

/** Heartbeat calls with positional arguments; Pacemaker with one action and OCF_* in the environment. */
function isV1(spec: AgentSpec<ParamSpecs, unknown>, args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (!spec.v1) return false
  // ocf-parameters is asked of the v1 form only, with no arguments too (`mysqld` alone in haresources)
  if (args.length >= 2 || args[0] === 'ocf-parameters') return true
  return v1Actions.has(args[0]) && env.OCF_ROOT === undefined && !Object.keys(env).some((k) => k.startsWith('OCF_RESKEY_'))
}

export async function dispatch(
  spec: AgentSpec<ParamSpecs, unknown>,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<number> {
  const v1 = isV1(spec, args, env)
  const action = v1 ? args[args.length - 1] : args[0]
  if (action === undefined || action === 'usage' || action === 'help' || action === '--help') {
    process.stdout.write(usage(spec))
    return action === undefined ? OCF.ERR_ARGS : OCF.SUCCESS
  }
  // validate-all in the v1 form checks haresources' arguments as the agent maps them (halo check runs it);
  // ocf-parameters prints that mapping, the named parameters (halo convert writes them into a CIB)
  if (v1 && action === 'ocf-parameters') return printV1Parameters(spec, args.slice(0, -1))
  if (v1 && !v1Actions.has(action) && action !== 'validate-all') {
    process.stderr.write(`${spec.name}: unknown action "${action}"\n${usage(spec)}`)
    return OCF.ERR_UNIMPLEMENTED
  }
  if (action === 'meta-data') {
    const { metaData } = await import('./metadata.ts')
    process.stdout.write(metaData(spec))
    return OCF.SUCCESS
  }
  const fn = actionFunction(spec, action)
  if (fn === undefined && action !== 'validate-all') {
    exitReason(env, log, `unsupported action "${action}"`)
    return OCF.ERR_UNIMPLEMENTED
  }

  const probe = fn === spec.actions.monitor && Number(env.OCF_RESKEY_CRM_meta_interval ?? '0') === 0
  const { code, ctx } = await attempt(spec, action, fn, v1 ? args.slice(0, -1) : undefined, env, log, probe)
  if (!v1) return code
  if (action === 'status') return v1Status(code, ctx?.v1Status)
  if (action === 'validate-all') return code
  return code === OCF.SUCCESS ? 0 : 1
}

async function attempt(
  spec: AgentSpec<ParamSpecs, unknown>,
  action: string,
  fn: Action<ParamSpecs, unknown> | undefined,
  v1Args: readonly string[] | undefined,
  env: NodeJS.ProcessEnv,
  log: Logger,
  probe: boolean,
): Promise<{ code: number; ctx?: ActionContext<ParamSpecs, unknown> }> {
  let ctx: ActionContext<ParamSpecs, unknown>
  try {
    const given = context(spec, action, v1Args, env, log, probe)
    checkBinaries(spec, given.params, env)
    ctx = { ...given, resolved: spec.resolve?.(given.params) }
    await spec.validate?.(ctx)
  } catch (err) {
    const code = codeOf(err)
    // A probe asks whether the resource runs here; where its software is missing (a binary or a file on a
    // shared disk not mounted here), it does not. A bad value is still reported: the admin must fix it.
    if (probe && code === OCF.ERR_INSTALLED) {
      log.debug(`probe: ${errorMessage(err)}; reporting not running`)
      return { code: OCF.NOT_RUNNING }
    }
    exitReason(env, log, errorMessage(err))
    return { code }
  }
  if (fn === undefined) return { code: OCF.SUCCESS, ctx } // validate-all: the checks above were the action
  try {
    return { code: await fn(ctx), ctx }
  } catch (err) {
    exitReason(env, log, errorMessage(err))
    return { code: codeOf(err), ctx }
  }
}

/** The named parameters a haresources line gives, as JSON (empty ones left out: they mean unset). */
function printV1Parameters(spec: AgentSpec<ParamSpecs, unknown>, args: readonly string[]): number {
  try {
    const raw = spec.v1!.parse(args)
    parseParams(spec.parameters, raw)
    process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '')))}\n`)
    return OCF.SUCCESS
  } catch (err) {
    process.stderr.write(`ocf-exit-reason:${errorMessage(err)}\n`)
    return codeOf(err)
  }
}

function actionFunction(spec: AgentSpec<ParamSpecs, unknown>, action: string) {
  if (action === 'status') return spec.actions.monitor
  if (action === 'validate-all') return undefined
  return Object.hasOwn(spec.actions, action) ? spec.actions[action as ActionName] : undefined
}

function context(
  spec: AgentSpec<ParamSpecs, unknown>,
  action: string,
  v1Args: readonly string[] | undefined,
  env: NodeJS.ProcessEnv,
  log: Logger,
  probe: boolean,
): Omit<ActionContext<ParamSpecs>, 'resolved'> {
  const raw = v1Args ? spec.v1!.parse(v1Args) : paramsFromEnv(spec.parameters, env)
  const metaTimeout = Number(env.OCF_RESKEY_CRM_meta_timeout)
  const timeout = metaTimeout > 0 ? metaTimeout : (spec.timeouts?.[action as ActionName] ?? 20) * 1000
  return {
    params: parseParams(spec.parameters, raw),
    action,
    depth: depthOf(spec.depths ?? [0], env.OCF_CHECK_LEVEL),
    probe,
    timeout,
    deadline: performance.now() + timeout,
    door: v1Args ? 'v1' : 'ocf',
    instance: env.OCF_RESOURCE_INSTANCE ?? spec.name,
    log,
    env,
  }
}

/** An unknown level falls back to the deepest level the agent has below it. */
function depthOf(depths: readonly number[], level: string | undefined): number {
  const wanted = Number(level ?? 0) || 0
  return Math.max(0, ...depths.filter((d) => d <= wanted))
}

function checkBinaries(spec: AgentSpec<ParamSpecs, unknown>, params: Params<ParamSpecs>, env: NodeJS.ProcessEnv): void {
  for (const bin of spec.binaries?.(params) ?? []) {
    if (env.OCF_TESTER_FAIL_HAVE_BINARY === '1' || findExecutable(bin, (env.PATH ?? '').split(':')) === undefined) {
      throw new HaloError(OCF.ERR_INSTALLED, `${bin} is not installed (needed by ${spec.name})`)
    }
  }
}

function codeOf(err: unknown): number {
  if (err instanceof HaloError) return err.exitCode
  return OCF.ERR_GENERIC
}

/** ocf_exit_reason: the reason Pacemaker shows the admin, plus the agent's log. */
function exitReason(env: NodeJS.ProcessEnv, log: Logger, reason: string): void {
  process.stderr.write(`${env.OCF_EXIT_REASON_PREFIX ?? 'ocf-exit-reason:'}${reason}\n`)
  if (log.sinks.facility || log.sinks.file) log.err(reason)
}

/** What Heartbeat's ResourceManager reads from `status`: the words matter, and the LSB code for people. */
function v1Status(code: number, said: ActionContext<ParamSpecs, unknown>['v1Status']): number {
  if (said) {
    process.stdout.write(`${said.line}\n`)
    return said.exitCode
  }
  const running = code === OCF.SUCCESS || code === OCF.RUNNING_PROMOTED
  process.stdout.write(running ? 'running\n' : 'stopped\n')
  return running ? 0 : 3
}

function usage(spec: AgentSpec<ParamSpecs, unknown>): string {
  const ocf = `usage: ${spec.name} {start|stop|monitor|status|validate-all|meta-data${Object.keys(spec.actions)
    .filter((a) => !['start', 'stop', 'monitor'].includes(a))
    .map((a) => `|${a}`)
    .join('')}}   (parameters in OCF_RESKEY_*)\n`
  return spec.v1 ? `${ocf}       ${spec.v1.usage}\n` : ocf
}
