/** mon's scheduling arithmetic, against the check times of mon 1.3 itself (one tick = 1 s, monitors of a few ms). */
import t from 'tap'
import { countdown, countdownEnds, firstCheck, tickAt } from '../../mon/cadence.ts'

const tick = { start: 0, length: 1000 }

/** The start times of `n` checks of a service at `interval`, each monitor running `runs` ms, as halo-mon plans them. */
function checks(interval: number, n: number, runs = 50): number[] {
  const starts = [firstCheck(tick, interval)]
  let nextCheck = 0
  while (starts.length < n) {
    const ran = starts.at(-1)!
    nextCheck = nextCheck ? nextCheck + interval : ran + interval
    const collected = tickAt(tick, ran + runs)
    starts.push(countdownEnds(tick, collected, countdown({ interval, nextCheck, collected })))
  }
  return starts
}

t.test('the check times mon 1.3 showed for the same intervals (s after its start)', async (t) => {
  t.same(checks(500, 8), [1, 4, 7, 10, 13, 16, 19, 22].map((s) => s * 1000), 'interval 0.5s: the first after one tick, then every 3 s')
  t.same(checks(1000, 9), [1, 3, 6, 9, 12, 15, 18, 21, 24].map((s) => s * 1000), 'interval 1s: every 3 s')
  t.same(checks(2000, 11), [2, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23].map((s) => s * 1000), 'interval 2s: every 2 s once settled')
  t.same(checks(5000, 4), [5, 11, 16, 21].map((s) => s * 1000), 'interval 5s: the first after 5 s')
})

t.test('the first check waits one interval (whole ticks)', async (t) => {
  t.equal(firstCheck(tick, 30_000), 30_000)
  t.equal(firstCheck(tick, 1500), 2000)
  t.equal(firstCheck(tick, 0), 0, 'randstart may draw 0: at once')
})

t.test('a check that overran its slot is followed by a whole interval from its result, as in mon', async (t) => {
  // started at 10 s, due again at 12 s, its result came in at 14 s
  t.equal(countdown({ interval: 2000, nextCheck: 12_000, collected: 14_000 }), 2000)
  t.equal(countdownEnds(tick, 14_000, 2000), 17_000)
  t.equal(countdown({ interval: 2000, nextCheck: 0, collected: 14_000 }), 2000, 'no _next_check (test monitor): a whole interval')
})

t.test('randskew moves the interval by 1..randskew whole seconds either way', async (t) => {
  const c = { interval: 10_000, nextCheck: 0, collected: 0, randskew: 3000 }
  t.equal(countdown(c, () => 0), 9000, 'the smallest skew, earlier')
  t.equal(countdown(c, () => 0.99), 13_000, 'the largest skew, later')
  const draws = [0.5, 0.1]
  t.equal(countdown(c, () => draws.shift()!), 8000, 'earlier')
})
