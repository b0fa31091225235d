/**
 * Who this node is on the wire: its uuid and its generation, kept where Heartbeat keeps them
 * (/var/lib/heartbeat/hb_uuid, 16 raw bytes; hb_generation, `%15lu\n`), so a node that moves from
 * Heartbeat to halo keeps its identity and its peers accept it without a manual step.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../lib/atomic.ts'
import { HaloError } from '../lib/errors.ts'

export function loadOrCreateUuid(stateDir: string): Buffer {
  const file = join(stateDir, 'hb_uuid')
  try {
    const uuid = readFileSync(file)
    if (uuid.length === 16) return uuid
    throw new HaloError(1, `${file}: ${uuid.length} bytes, a node uuid has 16; move it away to get a new one`)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const uuid = Buffer.from(randomUUID().replaceAll('-', ''), 'hex')
  writeFileAtomic(file, uuid, 0o644)
  return uuid
}

/**
 * The generation for this start: one more than the last, persisted before use. Peers drop a node whose
 * generation goes down as a replay, so it must only grow; the first one is the clock, as in Heartbeat.
 */
export function nextGeneration(stateDir: string, now = Math.floor(Date.now() / 1000)): number {
  const file = join(stateDir, 'hb_generation')
  let last: number | undefined
  try {
    const text = readFileSync(file, 'utf8')
    last = Number(text.trim())
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(last)) {
      throw new HaloError(1, `${file}: "${text.trim()}" is not a generation number; fix or remove it (peers drop a generation that goes down)`)
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const next = last === undefined ? now : last + 1
  writeFileAtomic(file, `${String(next).padStart(15)}\n`, 0o644)
  return next
}
