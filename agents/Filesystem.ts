/**
 * Filesystem: a filesystem mounted on one node at a time (resource-agents' Filesystem, same parameters).
 * start: refuse when something is mounted below the mount point, fsck (ext2/3/4 by default), mkdir -p, mount.
 * monitor: 0 the mount table, 10 a direct read of the device, 20 a status file written and read back past
 * the cache. stop: unmount, ending only the processes that use this very mount.
 * haresources: Filesystem::/dev/drbd0::/srv/data::ext4[::options]
 */
import { mkdirSync, realpathSync, rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { isAbsolute, join, normalize } from 'node:path'
import { HaloError } from '../lib/errors.ts'
import { describeFailure, run } from '../lib/exec.ts'
import { isBelow, readMountInfo, type MountInfo } from './Filesystem/mounts.ts'
import { OCF } from '../lib/ocf/codes.ts'
import { ocfBoolean } from '../lib/ocf/params.ts'
import { runAgent } from '../lib/ocf/run.ts'
import { defineAgent, type ActionContext } from '../lib/ocf/spec.ts'
import { readDevice, writeReadBack } from './Filesystem/io.ts'
import { blockDevice, deviceNumber, ensureFstype, holds, inUse, networkTypes, parseSource, type Source } from './Filesystem/source.ts'
import { unmountTree } from './Filesystem/unmount.ts'
import { describeNamespaces, namespacesHolding } from './Filesystem/users.ts'

const parameters = {
  device: {
    type: 'string',
    required: true,
    shortdesc: 'block device, -U uuid, -L label, NFS export or directory to bind',
    longdesc: 'What to mount: /dev/drbd0, UUID=…, -U uuid, LABEL=…, -L label, server:/export, //server/share, or a directory (fstype none, options bind).',
  },
  directory: { type: 'string', required: true, unique: true, shortdesc: 'mount point', longdesc: 'Where to mount it; created (mkdir -p) when missing. Must be absolute and not /.' },
  fstype: { type: 'string', required: true, shortdesc: 'filesystem type (mount -t)', longdesc: 'ext4, xfs, nfs, tmpfs… ; none for a bind mount.' },
  options: { type: 'string', shortdesc: 'mount options (mount -o)', longdesc: 'Comma-separated, e.g. noatime,errors=remount-ro; bind for a bind mount.' },
  run_fsck: {
    type: 'string',
    default: 'auto',
    choices: ['auto', 'force', 'no'],
    shortdesc: 'fsck before mounting: auto, force, no',
    longdesc: 'auto: preen (fsck.TYPE -p) ext2, ext3 and ext4, which is a quick superblock check when the filesystem is clean; force: preen any type; no: never. A filesystem with errors fsck cannot repair alone is not mounted.',
  },
  force_unmount: {
    type: 'string',
    default: 'true',
    shortdesc: 'end the processes that keep the mount busy: true, safe or false',
    longdesc: 'true (and safe, which is the same here: the search never touches the files): TERM, then KILL near the end of the stop timeout, the processes using this very mount (by mount id; users of the same filesystem through another mount are left alone). false: only wait for them.',
  },
  statusfile_prefix: {
    type: 'string',
    default: '.Filesystem_status/',
    shortdesc: 'status file for monitor depth 20, relative to the mount point',
    longdesc: 'The depth 20 monitor writes DIRECTORY/PREFIX<instance>_<node> with O_DIRECT|O_SYNC and reads it back.',
  },
} as const

type Ctx = ActionContext<typeof parameters, Target>

/** force_unmount: safe is true here (the search for users never touches their files) */
const forceUnmount = (text: string) => (text === 'safe' ? true : ocfBoolean(text))

/** The resource as the actions need it (the resolve step): canonical mount point, what to mount, its options. */
interface Target {
  dir: string
  source: Source
  options: string[]
}

function target(params: Ctx['params']): Target {
  const options = params.options ? params.options.split(',') : []
  let dir = normalize(params.directory).replace(/(.)\/+$/, '$1')
  try {
    dir = realpathSync.native(dir) // /proc/mounts names the real path: a symlinked mount point must match
  } catch {
    // not there yet: start creates it
  }
  return { dir, source: parseSource(params.device, params.fstype, options), options }
}

function validate({ params }: Ctx): void {
  const bad = (name: string, why: string) => new HaloError(OCF.ERR_CONFIGURED, `parameter ${name}: ${why}`)
  if (!isAbsolute(params.directory)) throw bad('directory', `"${params.directory}" is not an absolute path`)
  if (normalize(params.directory).replace(/\/+$/, '') === '') throw bad('directory', 'refusing to manage / (stop would end every process on it)')
  if (!/^[\w.+-]+$/.test(params.fstype)) throw bad('fstype', `"${params.fstype}" is not a filesystem type`)
  if (params.options !== undefined && /[\s]/.test(params.options)) throw bad('options', `"${params.options}" contains white space; separate options with commas`)
  if (forceUnmount(params.force_unmount) === undefined) throw bad('force_unmount', `"${params.force_unmount}" is not true, safe or false`)
  const prefix = params.statusfile_prefix
  if (isAbsolute(prefix) || prefix.split('/').includes('..')) throw bad('statusfile_prefix', `"${prefix}" must stay inside the mount point`)
}

/**
 * What is mounted at the directory: this resource's filesystem, or another one. A different block device
 * mounted there is not ours: a failure to report, never a filesystem to unmount.
 */
async function mountAt(ctx: Ctx, t: Target, mounts: readonly MountInfo[]): Promise<{ ours?: MountInfo; other?: MountInfo }> {
  const here = mounts.filter((m) => m.mountPoint === t.dir)
  if (here.length === 0) return {}
  const top = here[here.length - 1]
  const device = t.source.block ? await blockDevice(t.source, ctx.deadline) : undefined
  return device === undefined || holds(top, deviceNumber(device)) ? { ours: top } : { other: top }
}

function notOurs(ctx: Ctx, t: Target, m: MountInfo): HaloError {
  return new HaloError(OCF.ERR_GENERIC, `${t.dir} holds ${m.source} (${m.major}:${m.minor}), not ${ctx.params.device}`)
}

async function start(ctx: Ctx): Promise<number> {
  const t = ctx.resolved
  const mounts = readMountInfo()
  const { ours, other } = await mountAt(ctx, t, mounts)
  if (other) throw notOurs(ctx, t, other)
  if (ours) {
    ctx.log.info(`${ctx.params.device} is already mounted on ${t.dir}`)
    return OCF.SUCCESS
  }
  const below = mounts.filter((m) => isBelow(m.mountPoint, t.dir))
  if (below.length > 0) {
    const list = below.map((m) => `${m.mountPoint} (${m.source})`).join(', ')
    throw new HaloError(OCF.ERR_CONFIGURED, `something is mounted below ${t.dir}: ${list}; mounting would hide it`)
  }
  await ensureFstype(ctx.params.fstype, ctx.deadline)
  if (t.source.block) {
    const device = await blockDevice(t.source, ctx.deadline)
    if (device === undefined) throw new HaloError(OCF.ERR_INSTALLED, `device ${ctx.params.device} does not exist here (or is not a block device)`)
    if (needsFsck(ctx)) await fsck(ctx, device, mounts)
  }
  try {
    mkdirSync(t.dir, { recursive: true })
  } catch (e) {
    throw new HaloError(OCF.ERR_INSTALLED, `cannot create the mount point ${t.dir}: ${(e as Error).message}`)
  }
  const type = ctx.params.fstype === 'none' ? [] : ['-t', ctx.params.fstype]
  const opts = t.options.length ? ['-o', t.options.join(',')] : []
  const r = await run(['mount', ...type, ...opts, t.source.mountSource, t.dir], { timeout: left(ctx) })
  if (r.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `cannot mount ${ctx.params.device} on ${t.dir}: mount ${describeFailure(r)}`)
  ctx.log.info(`mounted ${ctx.params.device} on ${t.dir}`)
  return OCF.SUCCESS
}

function needsFsck({ params }: Ctx): boolean {
  if (params.run_fsck === 'auto') return ['ext2', 'ext3', 'ext4'].includes(params.fstype)
  return params.run_fsck === 'force'
}

/** Preen (-p): repairs only what is safe to repair unattended; anything more is the admin's call. */
async function fsck(ctx: Ctx, device: string, mounts: readonly MountInfo[]): Promise<void> {
  if (inUse(device)) {
    const here = mounts.find((m) => holds(m, deviceNumber(device)))
    ctx.log.warn(`${device} is in use (${here ? `mounted on ${here.mountPoint}` : elsewhere(device)}): not checking a live filesystem`)
    return
  }
  const program = `fsck.${ctx.params.fstype}`
  const r = await run([program, '-p', device], { timeout: left(ctx) }).catch((e: HaloError) => {
    throw new HaloError(OCF.ERR_INSTALLED, `${program} is needed to check ${device} (run_fsck=${ctx.params.run_fsck}): ${e.message}`)
  })
  // fsck(8) exit codes: 1 errors corrected, 2 corrected and reboot advised, 4 and up: not corrected
  if (r.code === 0) return
  if (r.code === 1 || r.code === 2) {
    ctx.log.warn(`${program} -p ${device} corrected errors: ${r.stdout.trim().split('\n').slice(-2).join(' / ')}`)
    return
  }
  throw new HaloError(OCF.ERR_GENERIC, `${device} has errors that ${program} -p cannot repair alone; not mounting it (run ${program} ${device} by hand): ${describeFailure(r)}`)
}

async function monitor(ctx: Ctx): Promise<number> {
  const t = ctx.resolved
  const { ours: mount, other } = await mountAt(ctx, t, readMountInfo())
  if (other) throw notOurs(ctx, t, other)
  if (!mount) return OCF.NOT_RUNNING
  // Depth 20's direct write reaches the disk and says more than a read of the device's first block; a
  // read-only mount cannot take the write, so it gets the read.
  if (ctx.depth >= 20 && !mount.options.includes('ro')) {
    await writeReadBack(statusFile(ctx, t), `${ctx.instance} ${new Date().toISOString()} ${process.pid}\n`, t.source.block, ctx.deadline)
  } else if (ctx.depth >= 10 && t.source.block) {
    const device = await blockDevice(t.source, ctx.deadline)
    if (device === undefined) throw new HaloError(OCF.ERR_GENERIC, `${t.dir} is mounted but device ${ctx.params.device} is gone`)
    await readDevice(device, ctx.deadline)
  }
  return OCF.SUCCESS
}

async function stop(ctx: Ctx): Promise<number> {
  const t = ctx.resolved
  const { ours: mount, other } = await mountAt(ctx, t, readMountInfo())
  // someone else's filesystem on our mount point: ours is not mounted, and theirs is not ours to remove
  if (other) ctx.log.warn(notOurs(ctx, t, other).message)
  if (!mount) return OCF.SUCCESS
  try {
    rmSync(statusFile(ctx, t), { force: true })
  } catch (e) {
    ctx.log.warn(`cannot remove the status file: ${(e as Error).message}`) // a read-only mount, most likely
  }
  await unmountTree(mount, {
    kill: forceUnmount(ctx.params.force_unmount) === true,
    force: networkTypes.has(ctx.params.fstype),
    deadline: ctx.deadline,
    log: ctx.log,
  })
  // Unmounted here, but a copy in another mount namespace keeps the filesystem alive: DRBD cannot demote,
  // and a shared disk would be mounted twice once the peer starts. Say so where the admin will look.
  const device = t.source.block ? await blockDevice(t.source, ctx.deadline) : undefined
  if (device !== undefined && inUse(device)) ctx.log.warn(`${device} is still in use after unmounting ${t.dir}: ${elsewhere(device)}`)
  return OCF.SUCCESS
}

function elsewhere(device: string): string {
  const holders = namespacesHolding(deviceNumber(device))
  return holders.length ? `mounted in the mount namespace of ${describeNamespaces(holders)}` : 'open exclusively by some program, or mounted in a mount namespace no process shows'
}

/** DIRECTORY/PREFIX<instance>[_<clone>]_<node>, where resource-agents' Filesystem puts it. */
function statusFile(ctx: Ctx, t: Target): string {
  const clone = ctx.env.OCF_RESKEY_CRM_meta_clone ? `_${ctx.env.OCF_RESKEY_CRM_meta_clone}` : ''
  return join(t.dir, `${ctx.params.statusfile_prefix}${ctx.instance}${clone}_${hostname()}`)
}

const left = (ctx: Ctx) => Math.max(1, ctx.deadline - performance.now())

runAgent(
  defineAgent({
    name: 'Filesystem',
    version: '1.0',
    shortdesc: 'Mounts a filesystem on one node at a time',
    longdesc:
      'Mounts a filesystem (a DRBD or shared disk, an NFS export, a bind mount) and unmounts it on stop, ending only the processes that use this very mount. Parameters as resource-agents\' Filesystem. Monitor depth 0 checks the mount table, 10 reads the device with O_DIRECT, 20 also writes and reads back a status file.',
    parameters,
    timeouts: { start: 60, stop: 60, monitor: 40, 'validate-all': 5 },
    monitorInterval: 20,
    depths: [0, 10, 20],
    binaries: () => ['mount', 'umount'],
    resolve: target,
    validate,
    v1: {
      usage: 'Filesystem DEVICE DIRECTORY FSTYPE [OPTIONS] {start|stop|status}',
      parse(args) {
        if (args.length < 3 || args.length > 4) throw new HaloError(OCF.ERR_ARGS, `expected DEVICE DIRECTORY FSTYPE [OPTIONS], got ${args.length} argument(s)`)
        const [device, directory, fstype, options] = args
        return { device, directory, fstype, options: options ?? '' }
      },
    },
    actions: { start, stop, monitor },
  }),
)
