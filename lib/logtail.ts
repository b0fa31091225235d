/**
 * What a server wrote to its log since a given moment, on one line: the reason an agent gives when the
 * server it started died, in the server's own words. Reads at most the last 64 KiB.
 */
import { closeSync, fstatSync, readSync, statSync } from 'node:fs'
import { openNoFollow } from './files.ts'

/** The log's size now: note it before starting a server, to quote only what that start wrote. */
export function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/**
 * The last `lines` lines written since offset `from` (those matching `prefer`, when some do), joined with
 * " | "; a short note when there is nothing to quote.
 */
export function tailSince(file: string, from: number, opts: { lines?: number; prefer?: RegExp } = {}): string {
  let text: string
  try {
    // the log is often in the server's user's directory: a link there must not make root quote another file
    const fd = openNoFollow(file)
    try {
      const size = fstatSync(fd).size
      const start = size < from ? 0 : Math.max(from, size - 64 * 1024) // a log rotated meanwhile: all of it
      const buf = Buffer.alloc(size - start)
      readSync(fd, buf, 0, buf.length, start)
      text = buf.toString('utf8')
    } finally {
      closeSync(fd)
    }
  } catch (e) {
    return `(cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`
  }
  const all = text.split('\n').map((l) => l.trim()).filter(Boolean)
  const preferred = opts.prefer ? all.filter((l) => opts.prefer!.test(l)) : []
  const chosen = (preferred.length ? preferred : all).slice(-(opts.lines ?? 4))
  return chosen.length ? chosen.join(' | ') : '(nothing)'
}
