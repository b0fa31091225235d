// Local recovery on two virtual nodes: a failure told to the engine restarts the resource in place with
// what follows it in its group, up to recovery.cf's migration-threshold within its failure-timeout; then,
// or when the restart fails, or when it would stop the VIP, the group moves to the peer by a standby.
import t, { type Test } from 'tap'
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Request, ask, controlSocket } from '../../ha.d/control.ts'
import { readHistory } from '../../ha.d/history.ts'
import { until } from '../../lib/wait.ts'
import { bin, cluster, type HaloNode } from '../harness/cluster.ts'
import { calls, engineStatus, runsExactly, settled } from '../harness/scenario.ts'

const ALL = ['r1', 'r2', 'r3']
const request = (n: HaloNode, r: Request) => ask(r, n.vm.path(controlSocket({})), 60_000)
const journal = (n: HaloNode) => readHistory(join(n.dir, 'var/lib/halo/history.jsonl'))
const counted = async (n: HaloNode, resource: string) => (await engineStatus(n)).failures?.find((f) => f.resource === resource)
/** hbtest's start/stop calls on the node from the `from`-th on */
const actions = (n: HaloNode, from: number) => calls(n).slice(from).filter((c) => !c.startsWith('status'))
const halo = (n: HaloNode, ...args: string[]) => n.vm.exec([bin('halo'), ...args], { timeout: 60_000 })

/** nodea holds `haresources`' one group, nodeb nothing; recovery.cf as given (none when undefined). */
async function pair(t: Test, recoveryCf: string | undefined, haresources = 'nodea hbtest::r1 hbtest::r2 hbtest::r3\n', engineEnv?: Record<string, string>) {
  const [a, b] = await cluster(t, { haresources, engineEnv })
  for (const n of [a, b]) {
    if (recoveryCf !== undefined) writeFileSync(join(n.dir, 'etc/ha.d/recovery.cf'), recoveryCf)
    // a script named IPaddr that is hbtest: a VIP whose state the test can read
    copyFileSync(join(n.dir, 'etc/ha.d/resource.d/hbtest'), join(n.dir, 'etc/ha.d/resource.d/IPaddr'))
  }
  await Promise.all([a.boot(), b.boot()])
  await until('nodea runs its group', () => runsExactly(a, ALL) && runsExactly(b, []), 30_000)
  await settled(a, 'local')
  return [a, b] as const
}

t.test('under the threshold: restarted in place, right to left then left to right, the resources before it untouched; over it: the group moves', async (t) => {
  const [a, b] = await pair(t, 'default migration-threshold=1 failure-timeout=1h\n')
  const before = calls(a).length
  const first = await request(a, { op: 'recover', resource: 'hbtest::r2', by: 'the test' })
  t.match(first, { ok: true, message: /^hbtest::r2 restarted in place in \d+ ms \(stopped hbtest::r3, hbtest::r2; started hbtest::r2, hbtest::r3\); failure 1 within 1h; migration-threshold 1$/ })
  t.same(calls(a).slice(before), ['stop r3', 'stop r2', 'start r2', 'start r3'], 'r3 and r2 stopped, started again (no status asked between); r1 untouched')
  t.ok(runsExactly(a, ALL) && runsExactly(b, []), 'everything runs on nodea again')
  const r2 = await counted(a, 'hbtest::r2')
  t.match(r2, { resource: 'hbtest::r2', group: 'hbtest::r1', count: 1, threshold: 1, windowMs: 3_600_000 })
  t.equal(r2?.failures.length, 1)
  t.match(await counted(a, 'hbtest::r1'), { count: 0, failures: [] })
  const restart = journal(a).find((e) => e.kind === 'restart')
  t.match(restart, { resource: 'hbtest::r2', ok: true, text: /restarted in place/ })
  t.same(
    restart?.timeline?.map((s) => s.what),
    ['failure of hbtest::r2 seen by the test (failure 1 within 1h; migration-threshold 1)', 'hbtest::r3 stopped', 'hbtest::r2 stopped', 'hbtest::r2 started', 'hbtest::r3 started', 'everything running again'],
  )
  await settled(a, 'local')

  const second = await request(a, { op: 'recover', resource: 'hbtest::r2', by: 'the test' })
  t.match(second, { ok: true, message: /^2 failure\(s\) of hbtest::r2 within 1h, more than its migration-threshold 1: failover of group hbtest::r1 \(standby \[local\]\)$/ })
  await until('nodeb runs the group', () => runsExactly(a, []) && runsExactly(b, ALL), 30_000)
  t.match(journal(a).find((e) => e.kind === 'standby'), { set: 'local', origin: /^local recovery: 2 failure\(s\) of hbtest::r2 within 1h/ })
  t.match(await counted(a, 'hbtest::r2'), { count: 2 }, 'the counts stay with the node where the failures were')
})

t.test('a restart whose start fails moves the group at once; cleanup forgets the failures', async (t) => {
  const [a, b] = await pair(t, undefined)
  writeFileSync(join(a.dir, 'var/lib/heartbeat/hbtest/r3.fail-start'), '')
  const before = calls(a).length
  const answer = await request(a, { op: 'recover', resource: 'hbtest::r3', by: 'the test' })
  t.match(answer, { ok: false, error: 'restart of hbtest::r3 failed to start it again: failover of the group to the peer' })
  await until('nodeb runs the group', () => runsExactly(a, []) && runsExactly(b, ALL), 30_000)
  t.same(actions(a, before).slice(0, 2), ['stop r3', 'start r3'])
  t.ok(actions(a, before).includes('stop r1'), 'the whole group was stopped before it moved')
  t.match(journal(a).find((e) => e.kind === 'restart'), { ok: false, resource: 'hbtest::r3' })
  t.match(journal(a).find((e) => e.kind === 'standby'), { set: 'local', origin: 'local recovery: the restart of hbtest::r3 failed' })
  t.match(await counted(a, 'hbtest::r3'), { count: 1, threshold: 3, windowMs: 600_000 }, 'without recovery.cf: 3 restarts within 10 minutes')

  const one = await halo(a, 'cleanup', 'hbtest::r3')
  t.equal(one.code, 0, one.stderr)
  t.equal(one.stdout, 'failures of hbtest::r3 forgotten (1 counted)\n')
  t.match(await counted(a, 'hbtest::r3'), { count: 0, failures: [] })
  const all = await halo(a, 'cleanup')
  t.equal(all.stdout, 'failures of every resource forgotten (0 counted)\n')
  t.match(journal(a).filter((e) => e.kind === 'cleanup'), [{ resource: 'hbtest::r3' }, { resource: undefined }])
  const unknown = await halo(a, 'cleanup', 'nginx')
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /^halo: no resource of haresources is nginx \(there are hbtest::r1, hbtest::r2, hbtest::r3\)/)
  await settled(b, 'all')
  const notHere = await request(b, { op: 'recover', resource: 'hbtest::r2' })
  t.match(notHere, { ok: true }, 'nodeb holds the group now: it restarts it')
  const refused = await request(a, { op: 'recover', resource: 'hbtest::r2' })
  t.match(refused, { ok: false, error: 'recover hbtest::r2 refused, nothing done: this node does not hold its local groups' })
  t.match(await counted(a, 'hbtest::r2'), { count: 0 }, 'a refused failure is not counted')
})

t.test('the window forgets a failure; halo restart counts none; the VIP is moved, never restarted; recovery.cf reloads, a bad one changes nothing', async (t) => {
  const [a, b] = await pair(t, 'hbtest::r3 migration-threshold=1 failure-timeout=2s\n', 'nodea hbtest::r1 IPaddr::vip hbtest::r2 hbtest::r3\n')
  t.match(await request(a, { op: 'recover', resource: 'hbtest::r3' }), { ok: true, message: /restarted in place/ })
  t.match(await counted(a, 'hbtest::r3'), { count: 1 })
  await until('the failure of r3 is forgotten after its 2 s', async () => (await counted(a, 'hbtest::r3'))?.count === 0, 20_000)
  t.match(await request(a, { op: 'recover', resource: 'hbtest::r3' }), { ok: true, message: /restarted in place/ }, 'counted from 1 again: a restart, not a move')

  const before = calls(a).length
  const restart = await halo(a, 'restart', 'hbtest::r2')
  t.equal(restart.code, 0, restart.stderr)
  t.match(restart.stdout, /^hbtest::r2 restarted in place in \d+ ms \(stopped hbtest::r3, hbtest::r2; started hbtest::r2, hbtest::r3\)\n$/)
  t.same(actions(a, before), ['stop r3', 'stop r2', 'start r2', 'start r3'])
  t.match(await counted(a, 'hbtest::r2'), { count: 0 }, 'no failure counted')
  const vip = await halo(a, 'restart', 'hbtest::r1')
  t.equal(vip.code, 1)
  t.equal(vip.stderr, 'halo: restart hbtest::r1 refused, nothing done: it would stop IPaddr::vip; move the group with hb_standby instead\n')

  // a bad recovery.cf: refused at reload and at start, file:line named, the policy as it was
  const file = join(a.dir, 'etc/ha.d/recovery.cf')
  writeFileSync(file, 'hbtest::r3 migration-threshold=many\n')
  const reload = await a.vm.exec([process.execPath, bin('halo-heartbeat'), '-r'])
  t.equal(reload.code, 1)
  t.match(reload.stderr, '/etc/ha.d/recovery.cf:1: migration-threshold=many: give a whole number')
  const start = await a.vm.exec([process.execPath, bin('halo-heartbeat'), '-f'], { timeout: 30_000 })
  t.equal(start.code, 6)
  t.match(start.stderr, '/etc/ha.d/recovery.cf:1: migration-threshold=many')
  const check = await halo(a, 'check')
  t.equal(check.code, 78, 'halo check finds it too')
  t.match(check.stdout, '/etc/ha.d/recovery.cf:1: migration-threshold=many')
  t.match(await counted(a, 'hbtest::r3'), { threshold: 1, windowMs: 2000 }, 'nothing changed')
  writeFileSync(file, 'default migration-threshold=5 failure-timeout=1h\n')
  t.equal((await a.vm.exec([process.execPath, bin('halo-heartbeat'), '-r'])).code, 0)
  t.match(await counted(a, 'hbtest::r3'), { threshold: 5, windowMs: 3_600_000 }, 'the new policy applies at once')

  const moved = await request(a, { op: 'recover', resource: 'hbtest::r1', by: 'the test' })
  t.match(moved, { ok: true, message: 'hbtest::r1 failed and restarting it would stop IPaddr::vip: failover of group hbtest::r1 (standby [local])' })
  await until('nodeb runs the group', () => runsExactly(a, []) && runsExactly(b, ALL) && b.running('vip'), 30_000)
})

t.test("recovery.cf's monitor=: the engine finds a stopped resource itself and applies the same policy", async (t) => {
  const [a, b] = await pair(t, 'hbtest::r2 monitor=300ms migration-threshold=1 failure-timeout=1h\n')
  const before = calls(a).length
  await a.vm.exec(['rm', '/run/hbtest/r2.running'])
  await until('the engine restarted r2', () => journal(a).some((e) => e.kind === 'restart'), 20_000)
  const restart = journal(a).find((e) => e.kind === 'restart')
  t.match(restart, { resource: 'hbtest::r2', ok: true })
  t.equal(restart?.timeline?.[0].what, "failure of hbtest::r2 seen by the engine's monitor (status every 300ms) (failure 1 within 1h; migration-threshold 1)")
  t.same(actions(a, before), ['stop r3', 'stop r2', 'start r2', 'start r3'])
  t.ok(runsExactly(a, ALL), 'everything runs on nodea again')
  t.match(await counted(a, 'hbtest::r2'), { count: 1 })

  await settled(a, 'local')
  await a.vm.exec(['rm', '/run/hbtest/r2.running'])
  await until('the group moved to nodeb', () => runsExactly(a, []) && runsExactly(b, ALL), 30_000)
  t.match(journal(a).find((e) => e.kind === 'standby'), { set: 'local', origin: /^local recovery: 2 failure\(s\) of hbtest::r2 within 1h, more than its migration-threshold 1$/ })
  t.equal(journal(a).filter((e) => e.kind === 'restart').length, 1, 'one restart only')
})

t.test("a stop that fails during a restart: the engine's stop-failure rule, nothing started again", async (t) => {
  const [a, b] = await pair(t, undefined, undefined, { HALO_STOP_FAILURE: 'log', HALO_STOP_TRIES: '2', HALO_STOP_RETRY: '50ms' })
  writeFileSync(join(a.dir, 'var/lib/heartbeat/hbtest/r3.fail-stop'), '')
  const before = calls(a).length
  const answer = await request(a, { op: 'recover', resource: 'hbtest::r2', by: 'the test' })
  t.match(answer, { ok: false, error: "restart of hbtest::r2: a stop failed; the engine's stop-failure rule applies and nothing is started again" })
  t.same(actions(a, before), ['stop r3', 'stop r3', 'stop r2'], 'r3 tried twice (HALO_STOP_TRIES), r2 stopped all the same, nothing started')
  t.ok(a.running('r3') && !a.running('r2') && runsExactly(b, []), 'r3 still runs on nodea, nothing moved to nodeb')
  t.match(a.haLog(), /hbtest::r3 cannot be stopped .* last resort log/)
  t.match(journal(a).filter((e) => e.kind === 'stop-failed' || e.kind === 'restart'), [{ kind: 'stop-failed', resource: 'hbtest::r3' }, { kind: 'restart', ok: false, resource: 'hbtest::r2' }])
})
