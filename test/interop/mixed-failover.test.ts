// A halo node and a real Heartbeat 3.0.6 node: power cuts of either, failback with auto_failback on, and
// graceful shutdowns (halo-heartbeat -k, heartbeat -k) that hand the groups over without waiting deadtime.
import t from 'tap'
import { cluster } from '../harness/cluster.ts'
import { atHome, placed, powerCut, settled } from '../harness/scenario.ts'
import { cleanLogs } from './mixed.ts'

t.test('power cut of either node: the survivor takes the groups; the owner back gets them back', async (t) => {
  const [a, b] = await cluster(t, { kinds: ['halo', 'heartbeat'], auth: 'sha1', media: 'bcast' })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b, 30_000)

  await powerCut(a)
  await placed(a, b, [], 10_000)
  await settled(b, 'all')
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'dead', 'the real node saw the halo node die')
  await a.boot()
  await atHome(a, b, 20_000)
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'active', 'the real node accepts the halo node back without a manual step')

  await powerCut(b)
  await placed(a, b, ['r1', 'r2', 'r3'], 10_000)
  await settled(a, 'all')
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'dead', 'halo saw the real node die')
  await b.boot()
  await atHome(a, b, 20_000)
  cleanLogs(t, [a, b])
})

t.test('graceful shutdown of either node hands its groups over at once', async (t) => {
  // deadtime 20 s: a handover within a few seconds can only come from the shutdown messages
  const [a, b] = await cluster(t, { kinds: ['heartbeat', 'halo'], auth: 'md5', media: 'bcast', keepalive: '500ms', warntime: '5', deadtime: '20', initdead: '20' })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b, 30_000)

  let t0 = Date.now()
  await b.stop()
  await placed(a, b, ['r1', 'r2', 'r3'], 10_000)
  t.ok(Date.now() - t0 < 10_000, `halo-heartbeat -k: the real node took r3 in ${Date.now() - t0} ms, well under the 20 s deadtime`)
  await settled(a, 'all')
  await b.boot()
  await placed(a, b, ['r1', 'r2'], 30_000)
  await settled(b, 'local')

  t0 = Date.now()
  await a.stop()
  await placed(a, b, [], 10_000)
  t.ok(Date.now() - t0 < 10_000, `heartbeat -k: halo took r1 r2 in ${Date.now() - t0} ms, well under the 20 s deadtime`)
  await settled(b, 'all')
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'dead')
  cleanLogs(t, [a, b])
})
