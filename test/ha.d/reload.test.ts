// halo-heartbeat -r (a new authkeys takes effect; a bad file changes nothing) and the rc.d hooks.
import t from 'tap'
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bin, cluster, type HaloNode } from '../harness/cluster.ts'
import { until } from '../../lib/wait.ts'
import { inject, takeover } from './forge.ts'
import { engineStatus, runsExactly, settled } from '../harness/scenario.ts'

const etc = (n: HaloNode, file: string) => join(n.vm.dir, 'etc/ha.d', file)
const reload = (n: HaloNode) => n.vm.exec([process.execPath, bin('halo-heartbeat'), '-r'])

t.test('a new authkeys takes effect at -r; a bad ha.cf on -r changes nothing', async (t) => {
  // a deadtime long enough for the moment between the two reloads, when each drops the other's packets
  const [a, b] = await cluster(t, { keepalive: '300ms', deadtime: '5', warntime: '2', initdead: '10' })
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  for (const n of [a, b]) writeFileSync(etc(n, 'authkeys'), 'auth 2\n2 md5 the-new-key\n', { mode: 0o600 })
  for (const n of [a, b]) {
    const r = await reload(n)
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /configuration re-read/)
  }
  t.match(a.haLog(), /signing with key 2 \(md5\)/)
  const before = (await engineStatus(a)).drops!.unauthentic
  await inject(b, a, takeover(b))
  await until('the old key to be refused', async () => (await engineStatus(a)).drops!.unauthentic > before, 5000)
  // the new key carries the standby protocol both ways
  await a.cmd('hb_standby')
  await until('everything on nodeb', () => runsExactly(a, []) && runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'active')

  appendFileSync(etc(a, 'ha.cf'), 'keepalive 100ms\nnode nodec\nbogus_directive 1\n')
  const lines = readFileSync(etc(a, 'ha.cf'), 'utf8').trimEnd().split('\n').length
  const bad = await reload(a)
  t.not(bad.code, 0)
  t.match(bad.stderr, new RegExp(`/etc/ha\\.d/ha\\.cf:${lines}: .*bogus_directive`))
  t.match(bad.stderr, /nothing changed/)
  t.equal(await a.cmd('cl_status', 'hbparameter', '-p', 'keepalive'), '300ms', 'the running values stay')
  t.equal(await a.cmd('cl_status', 'listnodes'), 'nodea\nnodeb')
  // fixed but for a node and a timing: taken, with the restart they need said in the log
  writeFileSync(etc(a, 'ha.cf'), readFileSync(etc(a, 'ha.cf'), 'utf8').replace('bogus_directive 1\n', ''))
  t.equal((await reload(a)).code, 0)
  t.match(a.haLog(), /changes to nodes, keepalive take effect when halo-heartbeat restarts/)
})

t.test('rc.d hooks run for each message type, with the fields as HA_<name>', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  const log = join(a.vm.dir, 'var/lib/heartbeat/hooks.log')
  mkdirSync(etc(a, 'rc.d'))
  writeFileSync(etc(a, 'rc.d/ask_resources'), '#!/bin/sh\necho "$1 src=$HA_src rsc_hold=$HA_rsc_hold info=$HA_info" >>/var/lib/heartbeat/hooks.log\n', { flag: 'w' })
  chmodSync(etc(a, 'rc.d/ask_resources'), 0o755)
  // nodeb has the heartbeat package's own hooks, which would run its ResourceManager
  cpSync('/etc/ha.d/rc.d', etc(b, 'rc.d'), { recursive: true })
  for (const n of [a, b]) t.equal((await reload(n)).code, 0)
  t.match(b.haLog(), /rc\.d\/ask_resources: Heartbeat's own resource hook, not run/)
  await a.cmd('hb_standby')
  await until('everything on nodeb', () => runsExactly(a, []) && runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  await until('the hook to have run twice', () => existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 2, 5000)
  t.same(readFileSync(log, 'utf8').trim().split('\n'), ['ask_resources src=nodeb rsc_hold=all info=other', 'ask_resources src=nodeb rsc_hold=all info=done'])
  t.ok(runsExactly(b, ['r1', 'r2', 'r3']), "Heartbeat's hooks started nothing twice")
})
