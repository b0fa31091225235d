// A halo node beside a real Heartbeat 3.0.6 node, same ha.cf, authkeys and haresources: they see each other
// and share the groups, over bcast and ucast, with each authkeys method.
import t from 'tap'
import { cluster } from '../harness/cluster.ts'
import { atHome } from '../harness/scenario.ts'
import { cleanLogs } from './mixed.ts'

for (const [auth, media] of [['sha1', 'bcast'], ['md5', 'ucast'], ['crc', 'bcast']] as const) {
  t.test(`${auth} over ${media}, both starting together: each sees the other active and takes its own group`, async (t) => {
    const [a, b] = await cluster(t, { kinds: ['halo', 'heartbeat'], auth, media })
    await Promise.all([a.boot(), b.boot()])
    await atHome(a, b, 30_000)
    t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'active', 'the real node sees the halo node active')
    t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'active', 'halo sees the real node active')
    t.same((await b.cmd('cl_status', 'listnodes')).split('\n').sort(), ['nodea', 'nodeb'])
    t.equal(await b.cmd('cl_status', 'hblinkstatus', 'nodea', 'eth0'), 'up')
    cleanLogs(t, [a, b])
  })
}
