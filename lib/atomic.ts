/**
 * State that must survive a crash or a power cut (the heartbeat generation, the node uuid) is written
 * whole or not at all: to a temporary file beside it, fsync'd, then renamed over the old one, and the
 * directory fsync'd so the rename itself is durable.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.tmp.${process.pid}`
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  const dir = openSync(dirname(path), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}
