// hb_standby and hb_takeover on either node of a mixed cluster move the groups, Heartbeat's own
// /usr/share/heartbeat/hb_standby script included; ucast; one node started after the other; halo restarting.
import t from 'tap'
import { cluster } from '../harness/cluster.ts'
import { atHome, placed, settled } from '../harness/scenario.ts'
import { cleanLogs } from './mixed.ts'

t.test('hb_standby and hb_takeover from either node, over ucast', async (t) => {
  const [a, b] = await cluster(t, { kinds: ['halo', 'heartbeat'], auth: 'sha1', media: 'ucast' })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b, 30_000)

  await a.cmd('hb_standby')
  await placed(a, b, [], 15_000)
  await settled(b, 'all')
  // Heartbeat's own script on the real node gives the halo node its group back
  await b.cmd('hb_standby', 'foreign')
  await atHome(a, b, 15_000)

  await b.cmd('hb_standby')
  await placed(a, b, ['r1', 'r2', 'r3'], 15_000)
  await settled(a, 'all')
  // hb_takeover [all]: the real node takes everything
  await b.cmd('hb_takeover')
  await placed(a, b, [], 15_000)
  await settled(b, 'all')
  await a.cmd('hb_takeover', 'local')
  await atHome(a, b, 15_000)

  await a.cmd('hb_takeover', 'foreign')
  await placed(a, b, ['r1', 'r2', 'r3'], 15_000)
  await settled(a, 'all')
  cleanLogs(t, [a, b])
})

t.test('one after the other, then halo restarts: the real node accepts its new generation', async (t) => {
  const [a, b] = await cluster(t, { kinds: ['heartbeat', 'halo'], auth: 'crc', media: 'bcast' })
  await a.boot()
  await placed(a, b, ['r1', 'r2', 'r3'], 20_000)
  await settled(a, 'all')
  await b.boot()
  await atHome(a, b, 20_000)

  const generation = async () => Number((await b.vm.exec(['cat', '/var/lib/heartbeat/hb_generation'])).stdout)
  const before = await generation()
  await b.stop()
  await placed(a, b, ['r1', 'r2', 'r3'], 15_000)
  await b.boot()
  t.ok((await generation()) > before, 'halo came back with a higher generation')
  await placed(a, b, ['r1', 'r2'], 20_000)
  await settled(b, 'local')
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'active', 'the real node accepts the restarted halo node')
  cleanLogs(t, [a, b])
})
