/**
 * The processes that keep a mount busy, found by mount id. `fuser -m` matches every file on the same
 * filesystem (device number), so for a bind mount it also hits processes that use the filesystem through
 * another mount, up to the whole root filesystem; a mount id names exactly one mount. Nothing here stats or
 * opens the files themselves (only /proc, and O_PATH handles, which do no I/O), so a dead NFS server cannot
 * hang the scan.
 */
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs'
import type { MountInfo } from './mounts.ts'
import { commandLine } from '../../lib/process.ts'

export interface MountUser {
  pid: number
  /** what holds the mount: cwd, root, exe, fd N, mmap */
  holds: string[]
}

// Linux open(2) flags Node does not export: a handle on the path itself, opened without reading it.
const O_PATH = 0o10000000
const O_CLOEXEC = 0o2000000

export function mountUsers(mounts: readonly MountInfo[]): MountUser[] {
  const ids = new Set(mounts.map((m) => m.id))
  const devices = new Set(mounts.map((m) => `${m.major}:${m.minor}`))
  const users: MountUser[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    const holds = holdsOf(pid, ids, devices)
    if (holds.length > 0) users.push({ pid, holds })
  }
  return users
}

/** `123 (sleep 600: cwd, fd 3)`, for logs and exit reasons. */
export function describeUsers(users: readonly MountUser[]): string {
  return users.map((u) => `${u.pid} (${command(u.pid)}: ${u.holds.join(', ')})`).join(', ')
}

const command = (pid: number) => (commandLine(pid) ?? ['?']).join(' ').slice(0, 40)

/**
 * One process per other mount namespace in which the filesystem with that device number is mounted:
 * copies made by unshare/ip netns exec/PrivateTmp while it was mounted, which our unmount did not reach.
 */
export function namespacesHolding(deviceNumber: string): number[] {
  const own = namespaceOf('self')
  const seen = new Set<string>(own ? [own] : [])
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    const ns = /^\d+$/.test(entry) ? namespaceOf(entry) : undefined
    if (ns === undefined || seen.has(ns)) continue
    seen.add(ns)
    const table = read(`/proc/${entry}/mountinfo`)
    if (table.split('\n').some((line) => line.split(' ', 3)[2] === deviceNumber)) pids.push(Number(entry))
  }
  return pids
}

export function describeNamespaces(pids: readonly number[]): string {
  return pids.map((pid) => `pid ${pid} (${command(pid)})`).join(', ')
}

function namespaceOf(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`)
  } catch {
    return undefined
  }
}

function holdsOf(pid: number, ids: Set<number>, devices: Set<string>): string[] {
  const holds: string[] = []
  for (const link of ['cwd', 'root', 'exe']) {
    if (ids.has(mountIdOfLink(`/proc/${pid}/${link}`) ?? -1)) holds.push(link)
  }
  for (const fd of list(`/proc/${pid}/fd`)) {
    if (ids.has(mountIdIn(read(`/proc/${pid}/fdinfo/${fd}`)) ?? -1)) holds.push(`fd ${fd}`)
  }
  // maps name each file's device: only mappings from one of our filesystems need the exact look
  for (const range of mappedFrom(pid, devices)) {
    if (ids.has(mountIdOfLink(`/proc/${pid}/map_files/${range}`) ?? -1)) {
      holds.push('mmap')
      break
    }
  }
  return holds
}

function mappedFrom(pid: number, devices: Set<string>): string[] {
  const ranges: string[] = []
  for (const line of read(`/proc/${pid}/maps`).split('\n')) {
    // 7f1c2a000000-7f1c2a021000 r--p 00000000 fd:01 1234 /usr/lib/x.so
    const f = line.split(/\s+/, 5)
    if (f.length < 5 || f[4] === '0') continue
    const [major, minor] = f[3].split(':').map((h) => Number.parseInt(h, 16))
    if (devices.has(`${major}:${minor}`)) ranges.push(f[0])
  }
  return ranges
}

/** The mount a /proc magic link (cwd, root, exe, map_files/…) points into, read from our own handle on it. */
function mountIdOfLink(path: string): number | undefined {
  let fd: number
  try {
    fd = openSync(path, O_PATH | O_CLOEXEC)
  } catch {
    return undefined // gone, a kernel thread, or not ours to look at
  }
  try {
    return mountIdIn(read(`/proc/self/fdinfo/${fd}`))
  } finally {
    closeSync(fd)
  }
}

function mountIdIn(fdinfo: string): number | undefined {
  const m = /^mnt_id:\s*(\d+)$/m.exec(fdinfo)
  return m ? Number(m[1]) : undefined
}

// A process may exit at any point of the scan: what it no longer has, it no longer holds.
function read(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
