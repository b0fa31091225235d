/**
 * drbdadm and drbdsetup as the drbd and drbddisk agents run them: by configurable paths (a test double, a
 * drbd-utils in /usr/local), always as argv, and with their failures sorted into what the admin must do.
 */
import { accessSync, constants } from 'node:fs'
import { isDrbdResourceName } from '../../lib/drbd.ts'
import { HaloError } from '../../lib/errors.ts'
import { run, type RunResult } from '../../lib/exec.ts'
import { OCF } from '../../lib/ocf/codes.ts'

/** The parameters both agents take to find DRBD's tools, config and kernel status. */
export const toolParameters = {
  drbdconf: {
    type: 'string',
    shortdesc: 'DRBD configuration file (drbdadm -c)',
    longdesc: 'The drbd.conf naming the resource; unset: drbdadm\'s own default (/etc/drbd.conf).',
  },
  drbdadm: { type: 'string', default: 'drbdadm', shortdesc: 'the drbdadm program', longdesc: 'Path of drbdadm (looked up in PATH when it has no slash).' },
  drbdsetup: { type: 'string', default: 'drbdsetup', shortdesc: 'the drbdsetup program', longdesc: 'Path of drbdsetup (looked up in PATH when it has no slash).' },
  proc_drbd: {
    type: 'string',
    default: '/proc/drbd',
    shortdesc: 'the kernel module\'s status file',
    longdesc: 'Where the DRBD module shows its version (and, with 8.4, each device\'s state); absent while the module is not loaded.',
  },
} as const

export interface Tools {
  drbdadm: string
  drbdsetup: string
  procDrbd: string
  conf: string | undefined
}

export const toolsOf = (p: { drbdadm: string; drbdsetup: string; proc_drbd: string; drbdconf: string | undefined }): Tools => ({
  drbdadm: p.drbdadm,
  drbdsetup: p.drbdsetup,
  procDrbd: p.proc_drbd,
  conf: p.drbdconf,
})

export function checkResourceName(name: string, allowAll: boolean): void {
  if (!isDrbdResourceName(name)) {
    throw new HaloError(OCF.ERR_CONFIGURED, `parameter drbd_resource: "${name}" is not a DRBD resource name`)
  }
  if (name === 'all' && !allowAll) throw new HaloError(OCF.ERR_CONFIGURED, 'parameter drbd_resource: "all" is not one resource; name the resource this agent manages')
}

/** A missing drbdconf is missing on this node (5): the peer may well have it. */
export function checkConf(conf: string | undefined): void {
  if (conf === undefined) return
  try {
    accessSync(conf, constants.R_OK)
  } catch {
    throw new HaloError(OCF.ERR_INSTALLED, `parameter drbdconf: cannot read ${conf}`)
  }
}

const left = (deadline: number) => Math.max(1, Math.round(deadline - performance.now()))

export function drbdadm(tools: Tools, args: readonly string[], deadline: number): Promise<RunResult> {
  const conf = tools.conf === undefined ? [] : ['-c', tools.conf]
  return run([tools.drbdadm, ...conf, ...args], { timeout: left(deadline) })
}

export function drbdsetup(tools: Tools, args: readonly string[], deadline: number): Promise<RunResult> {
  return run([tools.drbdsetup, ...args], { timeout: left(deadline) })
}

/** drbdadm's chatter about modinfo/modprobe is noise next to the line that says what failed. */
function said(r: RunResult): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(sh: \d+: |modinfo: |modprobe: )/.test(l))
  return lines.join(' / ')
}

/** `drbdadm ARGS: exit N: what it said`, for exit reasons and logs. */
export function failure(r: RunResult): string {
  const why = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`
  const text = said(r)
  return `${r.argv.slice(1).filter((a, i, all) => a !== '-c' && all[i - 1] !== '-c').join(' ')}: ${why}${text ? `: ${text}` : ''}`
}

/** Exit 20 and modprobe's complaint: drbd-utils is here, the kernel module is not. */
export const moduleMissing = (r: RunResult) => r.code === 20 && /modprobe drbd|Could not stat \/proc\/drbd/.test(r.stderr)

/** drbdadm's answer for a resource its config does not have (for this host). */
export const notDefined = (r: RunResult) => r.code !== 0 && /not defined in your config|no resources defined/.test(r.stderr)

/** The kernel refused a state change (drbdsetup exit 17 for primary, 11 for secondary/down). */
export const refused = (r: RunResult) => r.code === 17 || r.code === 11

export const heldOpen = (r: RunResult) => /held open/.test(r.stderr)

/** The resource is defined for this host in drbdconf; 6 when it is not, since no node will have it. */
export async function checkDefined(tools: Tools, res: string, deadline: number): Promise<void> {
  const r = await drbdadm(tools, ['sh-dev', res], deadline)
  if (r.code === 0) return
  const where = tools.conf ?? 'the DRBD configuration'
  if (notDefined(r)) throw new HaloError(OCF.ERR_CONFIGURED, `parameter drbd_resource: ${res} is not defined in ${where} for this host`)
  throw new HaloError(OCF.ERR_CONFIGURED, `cannot read ${where}: ${failure(r)}`)
}

/**
 * Whether the DRBD module is loaded or can be: drbdadm --version reports the module's version from the
 * kernel or from modinfo, and 0 when there is none on this host.
 */
export async function checkModule(tools: Tools, loaded: boolean, deadline: number): Promise<void> {
  if (loaded) return
  const r = await drbdadm(tools, ['--version'], deadline)
  const code = /^DRBD_KERNEL_VERSION_CODE=(\S+)/m.exec(r.stdout)?.[1]
  if (code === undefined || Number(code) === 0) {
    throw new HaloError(OCF.ERR_INSTALLED, 'the DRBD kernel module is not loaded and cannot be loaded on this host (drbdadm --version: DRBD_KERNEL_VERSION_CODE=0x000000); install the drbd module for this kernel')
  }
}
