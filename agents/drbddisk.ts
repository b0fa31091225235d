/**
 * drbddisk: DRBD in Heartbeat v1 haresources, `drbddisk::r0` (Heartbeat runs `drbddisk r0 start`).
 * start makes the resource Primary, retrying while the peer may still be demoting (its deadtime can be
 * shorter than DRBD's ping time); stop makes it Secondary, retrying while the device is held open; status
 * prints `running (Primary)` or `stopped (Secondary)`, the words Heartbeat reads.
 * The tools are found as the drbd agent finds them; in haresources, through HA_DRBDADM, HA_DRBDCONF and
 * HA_PROC_DRBD (Heartbeat passes its environment on).
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { HaloError } from '../lib/errors.ts'
import { OCF } from '../lib/ocf/codes.ts'
import { runAgent } from '../lib/ocf/run.ts'
import { defineAgent, type ActionContext } from '../lib/ocf/spec.ts'
import { checkConf, checkResourceName, drbdadm, failure, moduleMissing, toolParameters, toolsOf } from './drbd/tools.ts'

const parameters = {
  drbd_resource: { type: 'string', default: 'all', shortdesc: 'DRBD resource name', longdesc: 'The resource as drbd.conf names it; all: every resource (not for status).' },
  ...toolParameters,
} as const

type Ctx = ActionContext<typeof parameters>

/** the real drbddisk's patience: 6 tries for primary, 3 for secondary, 1 s apart */
const tries = { primary: 6, secondary: 3 }
const pause = 1000

async function repeat(ctx: Ctx, command: 'primary' | 'secondary'): Promise<number> {
  const r = ctx.params.drbd_resource
  for (let attempt = 1; ; attempt++) {
    const p = await drbdadm(toolsOf(ctx.params), [command, r], ctx.deadline)
    if (p.code === 0) return OCF.SUCCESS
    if (moduleMissing(p)) throw new HaloError(OCF.ERR_INSTALLED, `the DRBD kernel module cannot be loaded: ${failure(p)}`)
    if (attempt >= tries[command] || performance.now() + pause > ctx.deadline) {
      const why = command === 'primary' ? await staleData(ctx) : ''
      throw new HaloError(OCF.ERR_GENERIC, `${r} is not ${command === 'primary' ? 'Primary' : 'Secondary'} after ${attempt} tries: ${failure(p)}${why}`)
    }
    ctx.log.info(`${failure(p)}; trying again in 1 s`)
    await sleep(pause)
  }
}

/** Why DRBD wants no Primary here, when it is the data on this node: what `drbdadm dstate` says of it. */
async function staleData(ctx: Ctx): Promise<string> {
  if (ctx.params.drbd_resource === 'all') return ''
  const local = (await drbdadm(toolsOf(ctx.params), ['dstate', ctx.params.drbd_resource], ctx.deadline)).stdout.split('/')[0].trim()
  if (local === 'Outdated') return '; the data here is Outdated: the peer outdated it when they lost touch (DRBD\'s fence-peer handler), its data is newer'
  if (local === 'Inconsistent') return '; the data here is Inconsistent: a resync from the peer has not finished'
  return ''
}

/** 8.4 shows each device in /proc/drbd (` 0: cs:Connected ro:Primary/Secondary …`): the fallback role. */
async function roleFromProc(ctx: Ctx): Promise<string> {
  let text: string
  try {
    text = readFileSync(ctx.params.proc_drbd, 'utf8')
  } catch {
    return 'Unconfigured'
  }
  const minor = (await drbdadm(toolsOf(ctx.params), ['sh-minor', ctx.params.drbd_resource], ctx.deadline)).stdout.trim()
  if (!/^\d+$/.test(minor)) return 'Unknown'
  const line = new RegExp(`^ *${minor}: cs:\\S+ ro:(\\w+)`, 'm').exec(text)
  return line ? line[1] : 'Unconfigured'
}

async function status(ctx: Ctx): Promise<number> {
  if (ctx.params.drbd_resource === 'all') {
    ctx.v1Status = { line: 'A resource name is required for status inquiries.', exitCode: 10 }
    throw new HaloError(OCF.ERR_CONFIGURED, 'status needs a resource name (drbddisk::r0)')
  }
  const r = await drbdadm(toolsOf(ctx.params), ['role', ctx.params.drbd_resource], ctx.deadline)
  let role = r.code === 0 ? r.stdout.trim().split('/')[0] : ''
  if (!['Primary', 'Secondary', 'Unconfigured'].includes(role)) role = await roleFromProc(ctx)
  if (role === 'Primary') {
    ctx.v1Status = { line: 'running (Primary)', exitCode: 0 }
    return OCF.SUCCESS
  }
  if (role === 'Secondary' || role === 'Unconfigured') {
    ctx.v1Status = { line: `stopped (${role})`, exitCode: 3 }
    return OCF.NOT_RUNNING
  }
  // Unsure means "maybe running": after a failed stop Heartbeat then recovers by rebooting, which is right
  ctx.v1Status = { line: `cannot determine status, may be running (${role})`, exitCode: 4 }
  throw new HaloError(OCF.ERR_GENERIC, `cannot tell the role of ${ctx.params.drbd_resource}: ${failure(r)}`)
}

runAgent(
  defineAgent({
    name: 'drbddisk',
    version: '1.0',
    shortdesc: 'DRBD Primary for Heartbeat v1 (haresources drbddisk::r0)',
    longdesc: 'Makes a DRBD resource Primary on start and Secondary on stop, as Heartbeat\'s drbddisk does; the resource must already be up (DRBD\'s init script). For Pacemaker, use the drbd agent.',
    parameters,
    binaries: (p) => [p.drbdadm],
    validate: (ctx) => {
      checkResourceName(ctx.params.drbd_resource, true)
      checkConf(ctx.params.drbdconf)
    },
    v1: {
      usage: 'drbddisk [resource] {start|stop|status}',
      parse: ([resource]) => ({
        drbd_resource: resource ?? '',
        drbdadm: process.env.HA_DRBDADM ?? '',
        drbdconf: process.env.HA_DRBDCONF ?? '',
        proc_drbd: process.env.HA_PROC_DRBD ?? '',
      }),
    },
    timeouts: { start: 20, stop: 20, monitor: 20 },
    actions: {
      start: (ctx) => repeat(ctx, 'primary'),
      stop: (ctx) => repeat(ctx, 'secondary'),
      monitor: status,
    },
  }),
)
