/**
 * mon's scheduling arithmetic, for services whose times are written in mon's units. mon's main loop
 * wakes once a tick (1 s; its -i option), takes the time elapsed off each service's countdown, starts the
 * check of a service whose countdown has run out, and sets the countdown again when it collects the
 * check's result, at the first tick after the monitor exited (mon's reset_timer). So a check always starts
 * on a tick, the first one waits one interval, and `interval 1s` or `0.5s` runs about every 3 s.
 * halo-mon gives each service its own timer, set to the tick where mon's loop would start its check.
 */

export interface Tick {
  /** performance.now() of tick 0 */
  start: number
  /** ms */
  length: number
}

/** The first tick at or after `at`. */
export const tickAt = (tick: Tick, at: number): number => tick.start + Math.max(0, Math.ceil((at - tick.start) / tick.length)) * tick.length

/** A countdown of `ms` set after the loop's pass at tick `set` runs out, and the check starts, at this tick. */
export const countdownEnds = (tick: Tick, set: number, ms: number): number => set + tick.length * (1 + Math.ceil(Math.max(0, ms) / tick.length))

/** The first checks: a countdown set before tick 0 (the interval; with randstart, a random whole number of seconds below it). */
export const firstCheck = (tick: Tick, ms: number): number => countdownEnds(tick, tick.start - tick.length, ms)

export interface Countdown {
  interval: number
  /** mon's _next_check: one interval after the last check was due; 0 = none (start, test monitor, interval switched) */
  nextCheck: number
  /** the tick the result was collected at */
  collected: number
  randskew?: number
}

/**
 * mon's reset_timer: with randskew, the interval moved by 1..randskew whole seconds either way; else the
 * time left until the check is due, or a whole interval when that moment has passed (a check that
 * overran its slot is followed by a full interval, not by a catch-up check).
 */
export function countdown(c: Countdown, random = Math.random): number {
  if (c.randskew) {
    const skew = (Math.floor(random() * (c.randskew / 1000)) + 1) * 1000
    return c.interval + (random() < 0.5 ? -skew : skew)
  }
  const left = c.nextCheck - c.collected
  return c.nextCheck && left >= 0 ? left : c.interval
}
