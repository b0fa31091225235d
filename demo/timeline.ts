/**
 * A failover told as a timeline: what each node did after the fault, with the time since the fault, the
 * way an admin reads it in the engine's log, from the watcher's events and the client's commits.
 */
import { ms, type Failover } from './scenario.ts'
import type { Event } from './watch.ts'

/** the events worth telling: the engine's decisions and fences, resources and power coming and going */
const TOLD = [/is dead/, /STONITH|fenc|powered off/, /standby|giving up|give up|taking over|takeover|acquir|releas/i, /failed \(seen by|restarted in place|restart of/, /^(disk|vip|mysql|appserver|mon) (up|down)$/, /^power (on|off)$/]

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
  'power off': 'power off: every process gone, its links down',
  'power on': 'power on again: it boots',
}

/**
 * What is told of the node the fault hit: `all` (it hands the group over itself), `power` (only its power
 * switches: what vanished there when its power went is not its doing, and it logs nothing while it hangs),
 * `none` (the fault was its power cut).
 */
export type FromNode = 'all' | 'power' | 'none'

export function timeline(f: Failover, events: readonly Event[], fault: string, fromNode: FromNode = 'all', served = 'first commit through the virtual IP'): string[] {
  const line = (at: bigint, who: string, what: string) => `  ${`+${Math.round(ms(f.at, at))} ms`.padStart(10)}  ${who.padEnd(7)} ${what}`
  const fromTold = (e: Event) => fromNode === 'all' || (fromNode === 'power' && e.what.startsWith('power '))
  const told = events
    .filter((e) => e.at >= f.at && e.at <= f.served && (e.node !== f.from || fromTold(e)) && TOLD.some((re) => re.test(e.what)))
    // a power switch is dated by the power log, the rest by the sample that saw it
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .map((e) => line(e.at, e.node, WORDS[e.what] ?? e.what.replace(/^\S+ \S+ \w+: /, '')))
  return [line(f.at, f.from, fault), ...told, line(f.served, 'client', `${served}, served by ${f.to}`)]
}
