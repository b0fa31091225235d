/**
 * Durations, as each of the admin's files writes them, all parsed here into milliseconds.
 *   ha.cf:   a bare number is seconds (`1`, `0.5`), or `200ms`, `500us`; rounded to whole ms
 *   mon.cf:  `\d+(\.\d+)?[dhms]` (a bare number is an error); halo also takes `200ms`
 *   OCF:     `20s`, `200ms`, `2m`, `1h`; a bare number is in the parameter's own unit
 *   Pacemaker's (recovery.cf's failure-timeout): a bare number is seconds, or `500ms`, `10s`, `10min`, `10m`, `1h`
 */
const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }

export type TimeUnit = keyof typeof unitMs

export interface DurationSyntax {
  /** unit of a bare number, or undefined when a bare number is not allowed */
  bare: TimeUnit | undefined
  units: readonly TimeUnit[]
}

export const haCfTime: DurationSyntax = { bare: 's', units: ['ms', 'us'] }
export const monCfTime: DurationSyntax = { bare: undefined, units: ['ms', 's', 'm', 'h', 'd'] }
export const pacemakerTime: DurationSyntax = { bare: 's', units: ['ms', 's', 'm', 'min', 'h'] }
export const ocfTime = (bare: TimeUnit): DurationSyntax => ({ bare, units: ['ms', 's', 'm', 'h', 'us'] })

/** Returns whole milliseconds, or undefined when `text` is not a duration in that syntax. */
export function parseDuration(text: string, syntax: DurationSyntax): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)([a-z]*)$/i.exec(text.trim())
  if (!m) return undefined
  const written = m[2].toLowerCase()
  const unit = written === '' ? syntax.bare : syntax.units.includes(written) ? written : undefined
  if (unit === undefined) return undefined
  return Math.round(Number(m[1]) * unitMs[unit])
}

/** A duration in the largest unit that writes it whole, as an admin would (`10min`, `90s`, `250ms`). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
