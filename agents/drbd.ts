/**
 * drbd: a DRBD resource as a promotable clone (linbit's ocf:linbit:drbd, same parameter names).
 * start: up (Secondary; DRBD connects to the peer by itself). promote: Primary, only with data that is
 * known good. demote: Secondary. stop: down. monitor: 0 Secondary, 8 Primary, 9 Primary without a
 * working disk, 7 down; under Pacemaker it also publishes the promotion score from both disk states.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { HaloError } from '../lib/errors.ts'
import { OCF } from '../lib/ocf/codes.ts'
import { runAgent } from '../lib/ocf/run.ts'
import { defineAgent, type ActionContext } from '../lib/ocf/spec.ts'
import { promotionScore, publishScore } from './drbd/score.ts'
import { describe, observe, type DrbdStatus } from './drbd/status.ts'
import { checkConf, checkDefined, checkModule, checkResourceName, drbdadm, failure, heldOpen, moduleMissing, refused, toolParameters, toolsOf } from './drbd/tools.ts'

const parameters = {
  drbd_resource: { type: 'string', required: true, unique: true, shortdesc: 'DRBD resource name', longdesc: 'The resource as drbd.conf names it (resource r0 { … }).' },
  ...toolParameters,
} as const

type Ctx = ActionContext<typeof parameters>

/** How long to wait between attempts while the peer finishes demoting or a user closes the device. */
const retryPause = 500

const tools = (ctx: Ctx) => toolsOf(ctx.params)
const res = (ctx: Ctx) => ctx.params.drbd_resource
const look = (ctx: Ctx) => observe(tools(ctx), res(ctx), ctx.deadline)

async function validate(ctx: Ctx): Promise<void> {
  checkResourceName(res(ctx), false)
  checkConf(ctx.params.drbdconf)
  // the config and the module are checked where they are about to be used, not on every monitor
  if (ctx.action !== 'start' && ctx.action !== 'validate-all') return
  await checkDefined(tools(ctx), res(ctx), ctx.deadline)
  await checkModule(tools(ctx), (await look(ctx)).loaded, ctx.deadline)
}

const recovery = (r: string) =>
  `after a split brain, on the node whose changes are to be thrown away: drbdadm secondary ${r}; drbdadm connect --discard-my-data ${r}; on the other: drbdadm connect ${r}`

async function publish(ctx: Ctx, s: DrbdStatus | undefined): Promise<void> {
  await publishScore(ctx.env, ctx.log, s ? promotionScore(s) : undefined, ctx.deadline)
}

async function monitor(ctx: Ctx): Promise<number> {
  const { loaded, status: s } = await look(ctx)
  if (!s) {
    ctx.log.debug(loaded ? `${res(ctx)} is down` : 'the DRBD module is not loaded')
    return OCF.NOT_RUNNING
  }
  await publish(ctx, s)
  if (s.connection === 'StandAlone') ctx.log.warn(`${res(ctx)} is StandAlone (${describe(s)}): not replicating; ${recovery(res(ctx))}`)
  if (s.role !== 'Primary') return OCF.SUCCESS
  if (s.disk === 'Diskless' || s.disk === 'Failed' || s.disk === 'Detaching') {
    throw new HaloError(OCF.FAILED_PROMOTED, `${res(ctx)} is Primary without its local disk (${describe(s)})`)
  }
  return OCF.RUNNING_PROMOTED
}

async function start(ctx: Ctx): Promise<number> {
  if (!(await look(ctx)).status) {
    const r = await drbdadm(tools(ctx), ['up', res(ctx)], ctx.deadline)
    if (moduleMissing(r)) throw new HaloError(OCF.ERR_INSTALLED, `the DRBD kernel module cannot be loaded: ${failure(r)}`)
    if (r.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `cannot bring ${res(ctx)} up: ${failure(r)}`)
  }
  const { status: s } = await look(ctx)
  if (!s) throw new HaloError(OCF.ERR_GENERIC, `${res(ctx)} is still down after drbdadm up`)
  ctx.log.info(`${res(ctx)} is up: ${describe(s)}`)
  await publish(ctx, s)
  return OCF.SUCCESS
}

async function stop(ctx: Ctx): Promise<number> {
  if ((await look(ctx)).status) {
    const r = await drbdadm(tools(ctx), ['down', res(ctx)], ctx.deadline)
    if (heldOpen(r)) throw new HaloError(OCF.ERR_GENERIC, `cannot take ${res(ctx)} down: its device is in use (still mounted?): ${failure(r)}`)
    if (r.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `cannot take ${res(ctx)} down: ${failure(r)}`)
    ctx.log.info(`${res(ctx)} is down`)
  }
  await publish(ctx, undefined)
  return OCF.SUCCESS
}

/** Why this node's data must not become Primary, or undefined when it may (force: only with --force). */
function refusal(r: string, s: DrbdStatus): { why?: string; force?: boolean } {
  if (s.connection === 'StandAlone') {
    return { why: `${r} is StandAlone (${describe(s)}): after a split brain this side may hold the outdated data; not promoting it. ${recovery(r)}` }
  }
  if (s.disk === 'UpToDate' || (s.connection === 'Connected' && s.peerDisk === 'UpToDate' && s.disk === 'Diskless')) return {}
  if (s.disk === 'Consistent' && s.connection !== 'Connected') return { force: true }
  if (s.disk === 'Inconsistent') {
    const peer = s.connection === 'Connected' || s.connection.startsWith('Sync') ? 'the peer has the good data (promote it there)' : 'no peer with good data is connected; if this is the best data left, promote by hand: drbdadm primary --force ' + r
    return { why: `${r}: local data is Inconsistent, a resync is not finished (${describe(s)}); ${peer}` }
  }
  return { why: `${r}: local data is ${s.disk}, not UpToDate (${describe(s)}); the peer has newer data` }
}

async function promote(ctx: Ctx): Promise<number> {
  const r = res(ctx)
  for (;;) {
    const { status: s } = await look(ctx)
    if (!s) throw new HaloError(OCF.ERR_GENERIC, `${r} is down: start it before promoting`)
    if (s.role === 'Primary') break
    const { why, force } = refusal(r, s)
    if (why) throw new HaloError(OCF.ERR_GENERIC, why)
    if (force) ctx.log.warn(`${r}: Consistent data and no peer: the best data available; promoting with --force`)
    const p = await drbdadm(tools(ctx), force ? ['primary', '--force', r] : ['primary', r], ctx.deadline)
    if (p.code === 0) break
    // the peer may be demoting right now (Pacemaker demotes there, then promotes here); wait for it
    const waitForPeer = refused(p) && s.peerRole === 'Primary' && performance.now() + retryPause < ctx.deadline - 1000
    if (!waitForPeer) throw new HaloError(OCF.ERR_GENERIC, `${r} refused to become Primary: ${failure(p)}`)
    await sleep(retryPause)
  }
  const { status } = await look(ctx)
  ctx.log.info(`${r} is Primary: ${status ? describe(status) : ''}`)
  await publish(ctx, status)
  return OCF.SUCCESS
}

async function demote(ctx: Ctx): Promise<number> {
  const r = res(ctx)
  for (;;) {
    const { status: s } = await look(ctx)
    if (!s || s.role !== 'Primary') break
    const d = await drbdadm(tools(ctx), ['secondary', r], ctx.deadline)
    if (d.code === 0) break
    // whoever holds the device (a filesystem being unmounted, a last reader) may let go in a moment
    if (!heldOpen(d) || performance.now() + retryPause > ctx.deadline - 1000) {
      throw new HaloError(OCF.ERR_GENERIC, `${r} cannot become Secondary${heldOpen(d) ? ': its device is in use (still mounted?)' : ''}: ${failure(d)}`)
    }
    await sleep(retryPause)
  }
  await publish(ctx, (await look(ctx)).status)
  return OCF.SUCCESS
}

runAgent(
  defineAgent({
    name: 'drbd',
    version: '1.0',
    shortdesc: 'DRBD replicated disk, promotable',
    longdesc:
      'Manages one DRBD resource (9.x or 8.4) as a promotable clone: Secondary on every node where it runs, Primary on the promoted one. The promotion score follows the disk states of both sides; a StandAlone side (split brain) and data that is not UpToDate are never promoted automatically.',
    parameters,
    binaries: (p) => [p.drbdadm, p.drbdsetup],
    validate,
    timeouts: { start: 240, stop: 100, promote: 90, demote: 90, monitor: 20, notify: 90, 'validate-all': 20 },
    monitorInterval: 20,
    actions: { start, stop, monitor, promote, demote, notify: () => OCF.SUCCESS },
  }),
)
