// halo-mon's services in halo status: `list opstatus` on its port, as moncmd asks, with Debian's auth.cf;
// a monitor that is down and one that does not answer are said, never waited on.
import t from 'tap'
import { type AddressInfo, createServer } from 'node:net'
import { until } from '../../../lib/wait.ts'
import { serve } from '../../../mon/server.ts'
import { STAT_UNTESTED } from '../../../mon/state.ts'
import { monStatus } from '../../../lib/moncmd.ts'
import { TestMon, freePort } from '../../fixtures/mon/daemon.ts'

t.test('a failing and a good service', async (t) => {
  const mon = new TestMon(
    t,
    () => `hostgroup loop 127.0.0.1

watch loop
    service closed
        interval 200ms
        monitor tcp.monitor -p 1 -t 1
    service echo
        interval 200ms
        monitor echo.monitor
`,
  )
  const daemon = await mon.start()
  const server = await serve(daemon, '127.0.0.1', 0)
  t.teardown(() => server.close())
  const port = (server.address() as AddressInfo).port
  await until('both checked', () => daemon.entries.every((e) => e.st.opstatus !== STAT_UNTESTED), 10_000)
  const s = await monStatus('127.0.0.1', port, 5000)
  t.same(
    s.services.map((x) => [x.group, x.service, x.opstatus]),
    [
      ['loop', 'closed', 'fail'],
      ['loop', 'echo', 'ok'],
    ],
  )
  t.match(s.services[0].summary, /127\.0\.0\.1/, "the monitor's summary, unescaped")
  t.ok(Date.parse(s.services[1].lastCheck!) > 0)
  t.same([s.running, s.error, s.at], [true, undefined, `127.0.0.1:${port}`])
})

t.test('nothing listens: not running; a port that never answers: said within the bound', async (t) => {
  const port = await freePort()
  t.same(await monStatus('127.0.0.1', port, 2000), { at: `127.0.0.1:${port}`, running: false, services: [], error: `halo-mon is not running (nothing listens on 127.0.0.1:${port})` })
  const mute = createServer(() => {}).listen(0, '127.0.0.1')
  t.teardown(() => void mute.close())
  await new Promise((r) => mute.once('listening', r))
  const mutePort = (mute.address() as AddressInfo).port
  const s = await monStatus('127.0.0.1', mutePort, 300)
  t.same(s.error, `halo-mon at 127.0.0.1:${mutePort} did not answer within 300 ms`)
})
