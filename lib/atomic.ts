/**
 * State that must survive a crash or a power cut (the heartbeat generation, the node uuid) is written
 * whole or not at all: to a temporary file beside it, fsync'd, then renamed over the old one, and the
 * directory fsync'd so the rename itself is durable. The temporary name is unguessable and created
 * exclusively, never through a link: the directory may be one a user can write (an agent's pid file).
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { createExclusive } from './files.ts'

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.tmp.${randomBytes(6).toString('hex')}`
  const fd = createExclusive(tmp, mode)
  try {
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
  const dir = openSync(dirname(path), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}
