/**
 * Files root opens in directories someone else may write (a server's log or pid directory, $TMPDIR): never
 * through a symbolic link planted there, never a file created by someone else when halo means to create it,
 * and a file handed to a server only when it is that server's user's own.
 */
import { accessSync, closeSync, constants, fchownSync, fstatSync, mkdtempSync, openSync, rmdirSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HaloError } from './errors.ts'

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY, O_APPEND, O_RDWR, O_RDONLY } = constants

/** Creates `path` (error EEXIST when anything, a dangling link too, is there already); returns its fd. */
export function createExclusive(path: string, mode = 0o600, flags = O_WRONLY): number {
  return openSync(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode)
}

/** Opens an existing file for reading, not through a link (ELOOP when `path` is one). */
export function openNoFollow(path: string, flags = O_RDONLY): number {
  return openSync(path, flags | O_NOFOLLOW)
}

/**
 * Creates `path` for a server's user (a log the server opens itself), when nothing is there: true when it
 * did. Whatever is there already, a link included, is left alone: the server opens it with its own rights.
 */
export function createFor(path: string, owner: { uid: number; gid: number }, mode = 0o640): boolean {
  let fd: number
  try {
    fd = createExclusive(path, mode)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
  try {
    fchownSync(fd, owner.uid, owner.gid)
  } finally {
    closeSync(fd)
  }
  return true
}

/**
 * An fd appending to `path` for a server that runs as `owner`: created for it when missing; when it exists,
 * only if it is a plain file of `owner`'s with one name (not a link, nor a hard link to someone's file).
 * A HaloError(`code`) naming `what` otherwise.
 */
export function appendFor(path: string, owner: { name: string; uid: number; gid: number }, what: string, code: number, mode = 0o640): number {
  let fd: number
  try {
    fd = createExclusive(path, mode, O_WRONLY | O_APPEND)
    try {
      fchownSync(fd, owner.uid, owner.gid)
    } catch (e) {
      closeSync(fd)
      throw e
    }
    return fd
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new HaloError(code, `${what} ${path}: ${(e as Error).message}`)
  }
  try {
    fd = openNoFollow(path, O_WRONLY | O_APPEND)
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ELOOP' ? 'is a symbolic link' : (e as Error).message
    throw new HaloError(code, `${what} ${path} ${why}: halo does not write through links; give the file itself`)
  }
  const st = fstatSync(fd)
  const wrong = !st.isFile() ? 'is not a plain file' : st.uid !== owner.uid ? `belongs to uid ${st.uid}, not to ${owner.name}` : st.nlink !== 1 ? `has ${st.nlink} names (hard links)` : ''
  if (wrong) {
    closeSync(fd)
    throw new HaloError(code, `${what} ${path} ${wrong}: the server writes it as ${owner.name}; remove it or chown ${owner.name} it`)
  }
  return fd
}

/**
 * A scratch file nobody else can reach: made in a private directory (mkdtemp, 0700) under $TMPDIR, both
 * removed at once, so only the returned fd (read-write) leads to it and nothing is left behind.
 */
export function scratchFile(): number {
  const dir = mkdtempSync(join(tmpdir(), 'halo-'))
  const path = join(dir, 'scratch')
  try {
    const fd = createExclusive(path, 0o600, O_RDWR)
    unlinkSync(path)
    return fd
  } finally {
    rmdirSync(dir)
  }
}

/** Whether this process may reach `path` as `mode` asks (constants.R_OK, X_OK…): a check, not a promise. */
export function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode)
    return true
  } catch {
    return false
  }
}
