/**
 * The kernel's mount table, from /proc/PID/mountinfo (ids, parents, device numbers). The kernel escapes
 * space, tab, newline and backslash in paths as octal (\040 \011 \012 \134): paths here are unescaped
 * and compared whole, never by substring, so /srv/data never matches /srv/data2 or "/srv/data backup".
 */
import { readFileSync } from 'node:fs'

export interface MountInfo {
  /** unique across mount namespaces; /proc/PID/fdinfo/N names the same number as mnt_id */
  id: number
  parentId: number
  /** st_dev of the filesystem; major 0 for those without a block device (tmpfs, nfs, btrfs subvolumes) */
  major: number
  minor: number
  /** the directory of the filesystem mounted here: "/" unless a bind mount of a subdirectory */
  root: string
  mountPoint: string
  /** per-mount options (ro, nosuid, relatime…) */
  options: string[]
  /** shared:N, master:N, propagate_from:N, unbindable */
  propagation: string[]
  fstype: string
  source: string
  /** per-filesystem options (errors=remount-ro, size=…) */
  superOptions: string[]
}

/** Undoes the kernel's octal escapes of a mount table field. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
}

/** Parses mountinfo text (proc(5)); throws on a line that is not in that format. */
export function parseMountInfo(text: string): MountInfo[] {
  return lines(text).map((line, i) => {
    const fields = line.split(' ')
    const dash = fields.indexOf('-', 6)
    const devMatch = /^(\d+):(\d+)$/.exec(fields[2] ?? '')
    if (dash < 0 || fields.length < dash + 3 || !devMatch) throw new Error(`mountinfo line ${i + 1}: cannot parse "${line}"`)
    return {
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      major: Number(devMatch[1]),
      minor: Number(devMatch[2]),
      root: unescapeMountField(fields[3]),
      mountPoint: unescapeMountField(fields[4]),
      options: fields[5].split(','),
      propagation: fields.slice(6, dash),
      fstype: fields[dash + 1],
      source: unescapeMountField(fields[dash + 2]),
      superOptions: (fields[dash + 3] ?? '').split(','),
    }
  })
}

/** This process's mount namespace, with ids and parents; in mount order, so a stacked mount comes last. */
export function readMountInfo(pid: number | 'self' = 'self'): MountInfo[] {
  return parseMountInfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'))
}

/** True when `path` lies strictly below directory `dir` (both absolute, without trailing slashes). */
export function isBelow(path: string, dir: string): boolean {
  return dir === '/' ? path !== '/' : path.startsWith(`${dir}/`)
}

/** The mount `id` and every mount on top of it or below it in the tree, deepest first (the unmount order). */
export function mountTree(mounts: readonly MountInfo[], id: number): MountInfo[] {
  const byId = new Map(mounts.map((m) => [m.id, m]))
  const depth = (m: MountInfo): number | undefined => {
    let n = 0
    // bounded: a table read while mounts change is a snapshot, and a snapshot is not promised to be a tree
    for (let at: MountInfo | undefined = m; at && n <= mounts.length; at = byId.get(at.parentId), n++) {
      if (at.id === id) return n
    }
    return undefined
  }
  return mounts
    .map((m) => ({ m, d: depth(m) }))
    .filter((x): x is { m: MountInfo; d: number } => x.d !== undefined)
    .sort((a, b) => b.d - a.d)
    .map((x) => x.m)
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}
