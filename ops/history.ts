/**
 * halo history: what the engine of this node recorded (ha.d/history.ts), one event a line in the admin's
 * words; --last tells the last failover as a timeline, as `halo demo` does; --output-as=json for scripts.
 */
import { UsageError } from '../lib/errors.ts'
import type { Command } from '../lib/cli.ts'
import { monCfTime, parseDuration } from '../lib/time.ts'
import { type HistoryEvent, historyPath, lastFailover, readHistory } from '../ha.d/history.ts'

/** --since: a time (2026-12-03 22:00, or ISO 8601) or how long ago (90s, 30m, 12h, 2d). */
export function parseSince(text: string, now = Date.now()): Date {
  const ago = parseDuration(text, monCfTime)
  if (ago !== undefined) return new Date(now - ago)
  const at = Date.parse(text.trim().replace(/^(\d{4}-\d\d-\d\d) (\d)/, '$1T$2'))
  if (!Number.isNaN(at)) return new Date(at)
  throw new UsageError(`--since ${JSON.stringify(text)}: give a time (2026-12-03 22:00, 2026-12-03T22:00:00Z) or how long ago (30m, 12h, 2d)`)
}

/** local time, as the admin's log reads: 2026-12-03 23:40:01 */
const local = (iso: string) => new Date(iso).toLocaleString('sv-SE')

const eventLine = (e: HistoryEvent): string => `${local(e.at)}  ${e.node}  ${e.text}`

/** A takeover's timeline, one step a line, its time since the first step (the peer's last heartbeat). */
function timelineLines(e: HistoryEvent): string[] {
  const head = `${local(e.at)}  ${e.node} ${e.text}`
  const steps = (e.timeline ?? []).map((s) => `  ${`+${s.ms} ms`.padStart(10)}  ${s.what}`)
  return [head, ...steps]
}

export interface HistoryArgs {
  since?: string
  last?: boolean
  outputAs?: 'text' | 'json'
  journal?: string
}

/** Writes the answer; the exit code: 0, or 1 for --last when no failover is recorded. */
export function history(args: HistoryArgs, write: (s: string) => void = (s) => process.stdout.write(s)): number {
  const since = args.since === undefined ? undefined : parseSince(args.since)
  const path = args.journal ?? historyPath()
  const events = readHistory(path, { since })
  const json = args.outputAs === 'json'
  if (args.last) {
    const last = lastFailover(events)
    if (json) write(`${JSON.stringify(last ?? null, null, 2)}\n`)
    else write(last ? `${timelineLines(last).join('\n')}\n` : `no failover recorded in ${path}${since ? ` since ${local(since.toISOString())}` : ''}\n`)
    return last ? 0 : 1
  }
  if (json) write(`${JSON.stringify(events, null, 2)}\n`)
  else if (events.length === 0) write(`no events recorded in ${path}${since ? ` since ${local(since.toISOString())}` : ''}\n`)
  else write(`${events.map(eventLine).join('\n')}\n`)
  return 0
}

export const historyCommand: Command = (cli, exit) =>
  cli.command(
    'history',
    "what this node's engine recorded: nodes dead or back, takeovers and how long they took, standbys and who asked, failed starts and stops, fences, healed partitions (from /var/lib/halo/history.jsonl, rotated at 1 MiB, 5 files kept)",
    (y) =>
      y
        .option('since', { type: 'string', describe: 'only events from then on: a time (2026-12-03 22:00) or how long ago (30m, 12h, 2d)' })
        .option('last', { type: 'boolean', default: false, describe: 'the timeline of the last failover: detection, fence, each resource started, everything running' })
        .option('output-as', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'json: the events as recorded, for scripts' }),
    (a) => exit(history({ since: a.since, last: a.last, outputAs: a.outputAs })),
  )
