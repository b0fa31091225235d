// ha.cf's watchdog, as Heartbeat 3.0.6 keeps it: opened at start, fed at every keepalive while the engine
// runs, closed with the magic 'V' at a clean stop; a device that cannot be opened is an error naming it, and
// the engine runs on. A regular file in each node's own /var/lib/heartbeat stands in for /dev/watchdog.
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { until } from '../../lib/wait.ts'
import { cluster } from '../harness/cluster.ts'
import { atHome } from '../harness/scenario.ts'

const DEVICE = '/var/lib/heartbeat/watchdog'

t.test('the watchdog is fed while the engine runs and disarmed at a clean stop; a missing device is an error naming it', async (t) => {
  const [a, b] = await cluster(t, { hacf: `watchdog ${DEVICE}` })
  // nodea has the device; nodeb has none
  const device = join(a.dir, DEVICE)
  mkdirSync(join(a.dir, 'var/lib/heartbeat'), { recursive: true })
  writeFileSync(device, '')
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)

  t.match(a.haLog(), `info: Using watchdog device: ${DEVICE}`)
  const size = () => statSync(device).size
  const first = size()
  await until('nodea to feed its watchdog again', () => size() >= first + 3, 10_000)
  t.ok(readFileSync(device).every((byte) => byte === 0), 'fed with bytes that keep the timer running (never V)')
  t.match(b.haLog(), new RegExp(`ERROR: Cannot open watchdog device ${DEVICE}: ENOENT`), 'nodeb says which device it cannot open')
  t.notOk(existsSync(join(b.dir, DEVICE)), 'and does not create it')
  t.ok(b.running('r3'), 'and runs on')

  await a.stop()
  const bytes = readFileSync(device)
  t.equal(String.fromCharCode(bytes[bytes.length - 1]), 'V', "a clean stop writes the magic 'V' last")
  t.ok(bytes.subarray(0, -1).every((byte) => byte === 0), 'after the keepalives')
})
