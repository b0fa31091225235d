/**
 * A failover told as a timeline: what each node did after the fault, with the time since the fault, the
 * way an admin reads it in the engine's log, from the watcher's events and the client's commits.
 */
import { ms, type Failover } from './scenario.ts'
import type { Event } from './watch.ts'

/** the events worth telling: the engine's decisions, and resources coming and going */
const TOLD = [/is dead/, /standby|giving up|give up|taking over|takeover|acquir|releas/i, /^(disk|vip|mysql|appserver|mon) (up|down)$/]

const WORDS: Record<string, string> = {
  'disk up': 'data disk mounted on /srv/ha',
  'disk down': 'data disk unmounted',
  'vip up': 'virtual IP 192.0.2.10 up',
  'vip down': 'virtual IP released',
  'mysql up': 'MariaDB accepts connections',
  'mysql down': 'MariaDB down',
  'appserver up': 'application server accepts connections',
  'appserver down': 'application server down',
  'mon up': 'halo-mon watching',
  'mon down': 'halo-mon stopped',
}

/** `dead`: the old primary lost its power, so what the watcher saw vanish there is not its doing */
export function timeline(f: Failover, events: readonly Event[], fault: string, dead = false): string[] {
  const line = (at: bigint, who: string, what: string) => `  ${`+${Math.round(ms(f.at, at))} ms`.padStart(10)}  ${who.padEnd(7)} ${what}`
  const told = events
    .filter((e) => e.at >= f.at && e.at <= f.served && !(dead && e.node === f.from) && TOLD.some((re) => re.test(e.what)))
    .map((e) => line(e.at, e.node, WORDS[e.what] ?? e.what.replace(/^\S+ \S+ \w+: /, '')))
  return [line(f.at, f.from, fault), ...told, line(f.served, 'client', `first commit through the virtual IP, served by ${f.to}`)]
}
