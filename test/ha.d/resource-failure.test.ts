// Resources that fail: a start that fails moves the group to the peer; a stop that keeps failing is
// retried, then the last resort (HALO_STOP_FAILURE: reboot, a harmless stub in a virtual node; or exit).
import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from '../../lib/exec.ts'
import { bin, cluster, type HaloNode } from '../harness/cluster.ts'
import { until } from '../../lib/wait.ts'
import { calls, runsExactly, settled } from '../harness/scenario.ts'

/** hbtest fails this action of this resource on the node from now on. */
const failing = (n: HaloNode, r: string, action: 'start' | 'stop') => writeFileSync(join(n.vm.dir, `var/lib/heartbeat/hbtest/${r}.fail-${action}`), '')
const rebootLog = (n: HaloNode) => join(n.vm.dir, 'reboot.log')

t.test('a start that fails on one node moves the group to the peer', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  // both started together: nothing is taken for 10 s, time to make r2 fail on nodea
  await a.vm.exec(['mkdir', '-p', '/var/lib/heartbeat/hbtest'])
  failing(a, 'r2', 'start')
  await until('nodeb runs r1 r2 r3', () => runsExactly(b, ['r1', 'r2', 'r3']), 30_000)
  t.ok(runsExactly(a, []), 'nodea runs nothing')
  t.same(calls(a).filter((c) => !c.startsWith('status')), ['start r1', 'start r2', 'stop r2', 'stop r1'], 'the failed group was stopped right to left')
  await settled(b, 'all')
  await settled(a, 'none')
  t.match(a.haLog(), /hbtest::r2 failed to start/)
  t.match(a.haLog(), /giving the groups that failed to start \[local\] to the peer/)
})

t.test('a stop that keeps failing: retried 10 times, then the last resort (reboot)', async (t) => {
  const [a, b] = await cluster(t, { engineEnv: { HALO_STOP_RETRY: '50ms' } })
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  failing(a, 'r2', 'stop')
  await a.cmd('hb_standby', 'local')
  await until('nodeb runs r1 r2', () => b.running('r1') && b.running('r2'), 20_000)
  t.equal(calls(a, 'stop').filter((c) => c === 'stop r2').length, 10, 'stop r2 tried 10 times')
  t.ok(calls(a, 'stop').includes('stop r1'), 'r1 was stopped all the same')
  await until('the reboot stub to be called', () => existsSync(rebootLog(a)), 5000)
  t.equal(readFileSync(rebootLog(a), 'utf8'), 'reboot -f\n')
  t.match(a.haLog(), /hbtest::r2 cannot be stopped .* last resort reboot/)
})

t.test('HALO_STOP_FAILURE=exit: the engine leaves without a word, the peer takes over after deadtime', async (t) => {
  const [a, b] = await cluster(t, { engineEnv: { HALO_STOP_FAILURE: 'exit', HALO_STOP_TRIES: '2', HALO_STOP_RETRY: '50ms' } })
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  failing(a, 'r2', 'stop')
  await a.cmd('hb_standby', 'local')
  await until('nodeb declares nodea dead and runs everything', () => runsExactly(b, ['r1', 'r2', 'r3']), 20_000)
  t.equal(calls(a, 'stop').filter((c) => c === 'stop r2').length, 2)
  t.notOk(existsSync(rebootLog(a)), 'no reboot')
  t.equal((await a.vm.exec([process.execPath, bin('halo-heartbeat'), '-s'])).code, 3, 'the engine is gone')
  t.match(a.haLog(), /last resort exit/)
})

t.test('a wrong HALO_STOP_FAILURE is refused before anything starts', async (t) => {
  const r = await run([process.execPath, bin('halo-heartbeat'), '-f', '-c', '/nonexistent'], { env: { PATH: process.env.PATH, HALO_STOP_FAILURE: 'halt' } })
  t.equal(r.code, 6, 'not configured')
  t.match(r.stderr, /HALO_STOP_FAILURE=halt: use reboot, exit or log/)
})
