/**
 * What the `device` parameter names, in every form resource-agents' Filesystem accepts: a device path,
 * -U/--uuid/UUID=, -L/--label/LABEL=, an NFS/CIFS export, a directory to bind, or a pseudo name (tmpfs).
 * Only a block device can be fsck'd, read directly (monitor depth 10) and matched by its device number.
 */
import { closeSync, constants, openSync, readFileSync, statSync } from 'node:fs'
import { HaloError } from '../../lib/errors.ts'
import { run } from '../../lib/exec.ts'
import { OCF } from '../../lib/ocf/codes.ts'
import type { MountInfo } from './mounts.ts'

/** Filesystem types that live on no local block device. */
const deviceless = new Set([
  'nfs', 'nfs4', 'efs', 'cifs', 'smbfs', 'smb3', 'glusterfs', 'ceph', 'tmpfs', 'ramfs', 'overlay', 'overlayfs',
  'none', 'rozofs', 'zfs', 'cvfs', 'lustre', '9p', 'virtiofs', 'fuse',
])
/** Network filesystems: `umount -f` helps when the server is gone. */
export const networkTypes = new Set(['nfs', 'nfs4', 'efs', 'cifs', 'smbfs', 'smb3'])

export interface Source {
  /** what mount(8) is given */
  mountSource: string
  /** a block device is expected (not a bind, loop-file, network or pseudo filesystem) */
  block: boolean
  /** UUID=… or LABEL=…, when the device is named by tag */
  tag?: { kind: 'UUID' | 'LABEL'; value: string }
}

export function parseSource(device: string, fstype: string, options: readonly string[]): Source {
  const tag = /^(?:-([UL])\s*|--(uuid|label)[=\s]\s*|(UUID|LABEL)=)(.+)$/.exec(device.trim())
  const block = !(deviceless.has(fstype) || fstype.startsWith('fuse.') || options.some((o) => ['bind', 'rbind', 'loop'].includes(o)))
  if (!tag) return { mountSource: device, block }
  const kind = tag[1] === 'U' || tag[2] === 'uuid' || tag[3] === 'UUID' ? 'UUID' : 'LABEL'
  return { mountSource: `${kind}=${tag[4]}`, block, tag: { kind, value: tag[4] } }
}

/**
 * The block device's path, or undefined when there is none here (yet). A tag is looked up through udev's
 * /dev/disk links, and with blkid where udev does not run.
 */
export async function blockDevice(source: Source, deadline: number): Promise<string | undefined> {
  if (!source.block) return undefined
  if (!source.tag) return isBlockDevice(source.mountSource) ? source.mountSource : undefined
  const link = `/dev/disk/by-${source.tag.kind.toLowerCase()}/${source.tag.value}`
  if (isBlockDevice(link)) return link
  const flag = source.tag.kind === 'UUID' ? '-U' : '-L'
  const r = await run(['blkid', flag, source.tag.value], { timeout: Math.max(1, deadline - performance.now()) })
  const path = r.stdout.trim()
  return r.code === 0 && isBlockDevice(path) ? path : undefined
}

function isBlockDevice(path: string): boolean {
  try {
    return statSync(path).isBlockDevice()
  } catch {
    return false
  }
}

/** The device number of a block device, as mountinfo prints it ("major:minor"). */
export function deviceNumber(device: string): string {
  const rdev = statSync(device, { bigint: true }).rdev
  // Linux dev_t: 12 bits of major and 20 of minor, split for compatibility with 16-bit dev_t
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)
  return `${major}:${minor}`
}

/**
 * Does this mount hold the filesystem on the device with that number? A filesystem that reports an
 * anonymous device number (btrfs) is recognised by the device it names as its source.
 */
export function holds(m: MountInfo, number: string): boolean {
  if (m.major !== 0) return `${m.major}:${m.minor}` === number
  try {
    return m.source.startsWith('/') && deviceNumber(m.source) === number
  } catch {
    return false
  }
}

/**
 * Is the block device mounted or held exclusively anywhere? O_EXCL on a block device fails with EBUSY then,
 * including mounts that live only in another mount namespace (ip netns exec, a service with PrivateTmp).
 */
export function inUse(device: string): boolean {
  try {
    closeSync(openSync(device, constants.O_RDONLY | constants.O_EXCL))
    return false
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EBUSY'
  }
}

/** Loads the kernel module of a filesystem type that is not yet known; 5 when there is none. */
export async function ensureFstype(fstype: string, deadline: number): Promise<void> {
  if (fstype === 'none') return
  const wanted = fstype.startsWith('fuse.') || fstype === 'glusterfs' ? 'fuse' : fstype === 'efs' ? 'nfs4' : fstype
  const known = () => readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.split('\t')[1] === wanted)
  if (known()) return
  await run(['modprobe', '-q', wanted], { timeout: Math.max(1, deadline - performance.now()) }).catch(() => undefined)
  if (!known()) throw new HaloError(OCF.ERR_INSTALLED, `filesystem type ${wanted} is not supported by this kernel (not in /proc/filesystems, and modprobe ${wanted} failed)`)
}
