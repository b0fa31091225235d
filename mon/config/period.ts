/**
 * Time periods as mon writes them (Perl's Time::Period 1.25): `wd {Mon-Fri} hr {7am-6pm}, wd {Sat}`.
 *   - sub-periods separated by commas: the time is in the period when it is in any of them
 *   - a sub-period is `scale {range …}` groups: in it when every scale has a range holding the time;
 *     a scale written twice (`mo {Jan} mo {Nov}`) adds ranges, it does not narrow
 *   - a range `v-w` whose v is after w wraps (`hr {10pm-2am}`), except years, which are swapped
 *   - blank = always, `none` = never; case and blanks between words do not matter
 * Stricter than Time::Period where it only reads garbage loosely (`wd {mo;tu}` is Monday to it):
 * a name must be letters only. Time::Period also checks a later sub-period only when the time is
 * not in an earlier one, so mon takes `wd {Mon}, hr {99}` on Mondays only; halo always rejects it.
 */
import { ConfigError } from '../../lib/errors.ts'

export type Scale = 'yr' | 'mo' | 'wk' | 'yd' | 'md' | 'wd' | 'hr' | 'min' | 'sec'

/** Inclusive, in the scale's own numbers: wd 0 = Sunday, mo 1 = January, yr as written (2-digit or 4). */
export interface Range {
  from: number
  to: number
}

export interface Period {
  /** as written */
  text: string
  /** any sub-period; each maps a scale to its ranges. [] never matches, [empty map] always does */
  anyOf: Map<Scale, Range[]>[]
}

const scaleNames: Record<string, Scale> = {
  yr: 'yr', mo: 'mo', wk: 'wk', yd: 'yd', md: 'md', wd: 'wd', hr: 'hr', min: 'min', sec: 'sec',
  year: 'yr', month: 'mo', week: 'wk', yday: 'yd', mday: 'md', wday: 'wd', hour: 'hr', minute: 'min', second: 'sec',
}

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const weekdays = ['su', 'mo', 'tu', 'we', 'th', 'fr', 'sa']

/** What each scale takes, for the error message, and its value syntax (undefined: not a value of it). */
const scaleSyntax: Record<Scale, { takes: string; value: (v: string) => number | undefined }> = {
  yr: { takes: 'a year: 0-99 or 1970 and later', value: (v) => year(digits(v, 0, Infinity)) },
  mo: { takes: '1-12 or jan-dec', value: (v) => named(v, months, 3, 1) ?? digits(v, 1, 12) },
  wk: { takes: 'a week of the month, 1-6', value: (v) => digits(v, 1, 6) },
  yd: { takes: 'a day of the year, 1-366', value: (v) => digits(v, 1, 366) },
  md: { takes: 'a day of the month, 1-31', value: (v) => digits(v, 1, 31) },
  // as a number, 1 is Sunday
  wd: { takes: 'su mo tu we th fr sa (or 1-7, 1 = Sunday)', value: (v) => named(v, weekdays, 2, 0) ?? minusOne(digits(v, 1, 7)) },
  hr: { takes: '0-23, 12am, 1am-11am, 12noon, 12pm, 1pm-11pm', value: (v) => digits(twelveHour(v), 0, 23) },
  min: { takes: '0-59', value: (v) => digits(v, 0, 59) },
  sec: { takes: '0-59', value: (v) => digits(v, 0, 59) },
}

function digits(v: string, min: number, max: number): number | undefined {
  const n = Number(v)
  return /^\d+$/.test(v) && n >= min && n <= max ? n : undefined
}

const year = (n: number | undefined) => (n !== undefined && (n <= 99 || n >= 1970) ? n : undefined)
const minusOne = (n: number | undefined) => (n === undefined ? undefined : n - 1)

/** Only the first `significant` letters count (Time::Period): `Thursday` is `th`, `January` is `jan`. */
function named(v: string, names: string[], significant: number, first: number): number | undefined {
  const i = /^[a-z]+$/.test(v) ? names.indexOf(v.slice(0, significant)) : -1
  return i < 0 ? undefined : i + first
}

/** 12am is 0, 12pm and 12noon are 12, 1pm is 13 (arithmetics as Time::Period does them) */
function twelveHour(v: string): string {
  const m = /^(\d+)(am|pm|noon)$/.exec(v)
  if (!m) return v
  const n = Number(m[1])
  if (m[2] === 'noon') return n === 12 ? '12' : '' // only 12noon
  if (m[2] === 'am') return String(n === 12 ? 0 : n)
  return String(n === 12 ? 12 : n + 12)
}

/** Parses a period spec; a bad one is a ConfigError at file:line saying what the scale takes. */
export function parsePeriod(text: string, file: string, line: number): Period {
  const fail = (why: string): never => {
    throw new ConfigError(file, line, `period '${text}': ${why}`)
  }
  const spec = text.trim().toLowerCase()
  if (spec === '') return { text, anyOf: [new Map()] }
  if (spec === 'none') return { text, anyOf: [] }
  const subs = spec.split(/\s*,\s*/)
  // Time::Period (Perl's split) lets a trailing comma pass
  while (subs.at(-1) === '') subs.pop()
  return { text, anyOf: subs.map((sub) => parseSubPeriod(sub, fail)) }
}

function parseSubPeriod(sub: string, fail: (why: string) => never): Map<Scale, Range[]> {
  if (sub === '') fail('an empty part between commas: remove the extra comma')
  const scales = new Map<Scale, Range[]>()
  const group = /\s*([a-z]*)\s*\{([^{}]*)\}\s*/y
  let at = 0
  while (at < sub.length) {
    group.lastIndex = at
    const m = group.exec(sub)
    if (!m) fail(`cannot read '${sub.slice(at)}': write scale {range …}, e.g. wd {Mon-Fri} hr {9am-5pm}; use spaces, not commas, inside braces`)
    at = group.lastIndex
    // own names only: `constructor {1}` is not a scale
    const scale = (Object.hasOwn(scaleNames, m[1]) ? scaleNames[m[1]] : undefined) ?? fail(`'${m[1]}' is not a scale: use yr mo wk yd md wd hr min sec (or year month week yday mday wday hour minute second)`)
    const ranges = scales.get(scale) ?? []
    scales.set(scale, ranges)
    // `9am - 5pm` is `9am-5pm`
    for (const range of m[2].replace(/(\w+)\s*-\s*(\w+)/g, '$1-$2').split(/\s+/).filter(Boolean)) {
      ranges.push(parseRange(scale, range, fail))
    }
  }
  return scales
}

function parseRange(scale: Scale, range: string, fail: (why: string) => never): Range {
  const dash = range.lastIndexOf('-')
  const ends = dash < 0 ? [range] : [range.slice(0, dash), range.slice(dash + 1)]
  const [from, to] = ends.map(
    (v) => scaleSyntax[scale].value(v) ?? fail(`'${v}' in ${scale} {${range}}: ${scale} takes ${scaleSyntax[scale].takes}`),
  )
  return { from, to: to ?? from }
}

/** Whether `date`, in local time as Time::Period's localtime(), falls in the period. */
export function inPeriod(period: Period, date: Date): boolean {
  const now = timeFields(date)
  return period.anyOf.some((sub) => [...sub].every(([scale, ranges]) => ranges.some((r) => holds(scale, r, now))))
}

function holds(scale: Scale, { from, to }: Range, now: Record<Scale, number>): boolean {
  const v = now[scale]
  if (scale === 'yr') {
    // a 2-digit year is in the century of the time tested; a year range never wraps
    const century = Math.floor(v / 100) * 100
    const [a, b] = [from, to].map((y) => (y <= 99 ? century + y : y)).sort((x, y) => x - y)
    return a <= v && v <= b
  }
  return from <= to ? from <= v && v <= to : v >= from || v <= to
}

function timeFields(d: Date): Record<Scale, number> {
  const md = d.getDate()
  const firstWeekday = (d.getDay() - ((md - 1) % 7) + 7) % 7
  // week 1 runs from the 1st to the first Saturday; each later Sunday starts the next week
  let wk = 1
  for (let day = 2; day <= md; day++) if ((firstWeekday + day - 1) % 7 === 0) wk++
  const yd = (Date.UTC(d.getFullYear(), d.getMonth(), md) - Date.UTC(d.getFullYear(), 0, 1)) / 86_400_000 + 1
  return {
    yr: d.getFullYear(), mo: d.getMonth() + 1, wk, yd, md, wd: d.getDay(),
    hr: d.getHours(), min: d.getMinutes(), sec: d.getSeconds(),
  }
}
