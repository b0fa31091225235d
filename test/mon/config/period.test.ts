import { spawnSync } from 'node:child_process'
import t from 'tap'
import { inPeriod, parsePeriod } from '../../../mon/config/period.ts'

// Time::Period reads local time; both sides run in one zone with summer time
process.env.TZ = 'Europe/Berlin'

const at = (spec: string, date: Date) => inPeriod(parsePeriod(spec, 'mon.cf', 1), date)
/** 2025-01-06 is a Monday */
const monday = (h: number, min = 0) => new Date(2025, 0, 6, h, min)

t.test('blank is always, none is never', async (t) => {
  t.equal(at('', monday(3)), true)
  t.equal(at('   ', monday(3)), true)
  t.equal(at('None', monday(3)), false)
})

t.test('week days and hours, names and numbers, case and blanks free', async (t) => {
  t.equal(at('wd {Mon-Fri} hr {7am-6pm}', monday(7)), true)
  t.equal(at('wd {Mon-Fri} hr {7am-6pm}', monday(18, 59)), true, '6pm is the whole hour 18')
  t.equal(at('wd {Mon-Fri} hr {7am-6pm}', monday(19)), false)
  t.equal(at('wd {Sat-Sun}', monday(12)), false)
  t.equal(at('WD{monday}HR{ 7 - 18 }', monday(12)), true)
  t.equal(at('wday {2}', monday(12)), true, 'as a number, 1 is Sunday')
  t.equal(at('wd {Thursday}', new Date(2025, 0, 9)), true, 'only two letters count')
})

t.test('ranges that wrap, and years that do not', async (t) => {
  t.equal(at('hr {10pm-2am}', monday(23)), true)
  t.equal(at('hr {10pm-2am}', monday(2, 59)), true)
  t.equal(at('hr {10pm-2am}', monday(3)), false)
  t.equal(at('mo {Nov-Feb}', new Date(2025, 0, 15)), true)
  t.equal(at('mo {Nov-Feb}', new Date(2025, 5, 15)), false)
  t.equal(at('yr {2030-2020}', new Date(2025, 5, 15)), true, 'swapped, not wrapped')
  t.equal(at('yr {25}', new Date(2025, 5, 15)), true, 'two digits: this century')
})

t.test('12am, 12noon and 12pm', async (t) => {
  t.equal(at('hr {12am}', monday(0)), true)
  t.equal(at('hr {12noon}', monday(12)), true)
  t.equal(at('hr {12pm}', monday(12)), true)
  t.equal(at('hr {1pm}', monday(13)), true)
})

t.test('sub-periods: any of them; a scale twice adds ranges', async (t) => {
  const spec = 'wd {Mon Wed Fri} hr {9am-4pm}, wd {Tue Thu} hr {9am-2pm}'
  t.equal(at(spec, monday(16)), true)
  t.equal(at(spec, new Date(2025, 0, 7, 16)), false)
  t.equal(at('mo {Jan} mo {Nov}', new Date(2025, 10, 1)), true)
  t.equal(at('wd {Mon},', monday(1)), true, 'a trailing comma passes, as in Time::Period')
  t.equal(at('wd {}', monday(1)), false, 'empty braces hold no time')
})

t.test('weeks of the month start on Sunday; days of month and year, minutes, seconds', async (t) => {
  // February 2025 starts on a Saturday: the 1st is week 1, Sunday the 2nd starts week 2
  t.equal(at('wk {1}', new Date(2025, 1, 1)), true)
  t.equal(at('wk {2}', new Date(2025, 1, 2)), true)
  t.equal(at('md {31}', new Date(2025, 0, 31)), true)
  t.equal(at('yd {366}', new Date(2024, 11, 31)), true, 'a leap year')
  t.equal(at('min {0-29}', monday(5, 30)), false)
  t.equal(at('sec {0-4 10-14}', new Date(2025, 0, 6, 5, 0, 12)), true)
})

t.test('a bad spec is an error at file:line saying what the scale takes', async (t) => {
  const bad = (spec: string, why: RegExp) => t.throws(() => parsePeriod(spec, '/etc/mon/mon.cf', 12), { message: why }, spec)
  bad('wd {Mun-Fri}', /^\/etc\/mon\/mon\.cf:12: period 'wd \{Mun-Fri\}': 'mun' .*wd takes su mo tu/)
  bad('hr {25}', /hr takes 0-23/)
  bad('hr {13pm}', /hr takes 0-23/)
  bad('hr {11noon}', /12noon/)
  bad('mo {13}', /mo takes 1-12 or jan-dec/)
  bad('yr {1969}', /0-99 or 1970/)
  bad('wd {mo,tu}', /not commas/)
  bad('days {1}', /'days' is not a scale/)
  // a name every object has (found by test/fuzz): not a scale, not a TypeError
  bad('constructor {1}', /'constructor' is not a scale/)
  bad('wd {mo} x', /cannot read 'x'/)
  bad('wd {mo}, , hr {1}', /empty part between commas/)
  bad('wd mo', /write scale \{range/)
  bad('min {1-}', /'' in min/)
})

// Perl's Time::Period, which mon uses, on the same specs and times
const perl = spawnSync('perl', ['-MTime::Period', '-e', '1'])
t.test('inPeriod agrees with Time::Period', { skip: perl.status === 0 ? false : 'perl with Time::Period not installed' }, async (t) => {
  const specs = [
    '', 'none', 'wd {Mon-Fri} hr {7am-6pm}', 'hr {10pm-2am}', 'wd {Sat-Sun}', 'wd {Fri-Mon}', 'mo {Nov-Feb}',
    'wk {1 3 5} wd {Mon Wed Fri} hr {9am-4pm}', 'wk {6-2}', 'yd {360-5}', 'md {28-3}', 'min {45-15} sec {50-10}',
    'hr {12am-11am}', 'hr {12pm}', 'hr {12noon-1pm}', 'yr {24-2025}', 'yr {2026}', 'wd {1 7}', 'wd {su}, hr {3}',
    'month {jan feb nov dec} hour {9 - 17}', 'wd {Mon Wed Fri} hr {9am-4pm}, wd{Tue Thu} hr {9am-2pm}',
  ]
  // every hour of a 15-day walk over a year's turn and a month with six weeks, and a summer-time switch
  const times: number[] = []
  for (const start of [new Date(2024, 11, 24), new Date(2025, 2, 28), new Date(2025, 7, 25)]) {
    for (let h = 0; h < 15 * 24; h += 5) times.push(start.getTime() / 1000 + h * 3600 + 17 * 60 + 7)
  }
  const input = specs.flatMap((s) => times.map((time) => `${time}\t${s}`)).join('\n') + '\n'
  const out = spawnSync('perl', ['-MTime::Period', '-ne', 'chomp; my ($t, $p) = split /\\t/, $_, 2; print inPeriod($t, $p // ""), "\\n"'], { input, encoding: 'utf8' })
  t.equal(out.status, 0, out.stderr)
  const theirs = out.stdout.trim().split('\n')
  let i = 0
  let differ = 0
  for (const spec of specs) {
    const period = parsePeriod(spec, 'mon.cf', 1)
    for (const time of times) {
      const ours = inPeriod(period, new Date(time * 1000)) ? '1' : '0'
      if (ours !== theirs[i]) t.fail(`${spec} at ${new Date(time * 1000).toString()}: halo ${ours}, Time::Period ${theirs[i]}`, { differ: ++differ })
      i++
    }
  }
  t.equal(differ, 0, `${i} cases agree`)
  t.ok(theirs.includes('1') && theirs.includes('0'), 'the table has times in and out')
})

t.test('specs Time::Period rejects, halo rejects', { skip: perl.status === 0 ? false : 'no Time::Period' }, async (t) => {
  const bad = ['hr {25}', 'wd {mun}', 'mo {13}', 'wd {mo,tu}', 'foo {1}', 'wd {mo} x', 'yr {1969}', 'min {1-}', 'wd mo', 'hr {13pm}']
  const input = bad.map((s) => `1736150400\t${s}`).join('\n') + '\n'
  const out = spawnSync('perl', ['-MTime::Period', '-ne', 'chomp; my ($t, $p) = split /\\t/, $_, 2; print inPeriod($t, $p), "\\n"'], { input, encoding: 'utf8' })
  t.same(out.stdout.trim().split('\n'), bad.map(() => '-1'), 'Time::Period: -1 for all')
  for (const spec of bad) t.throws(() => parsePeriod(spec, 'mon.cf', 1), spec)
})
