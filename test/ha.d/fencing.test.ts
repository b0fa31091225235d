// Fencing with real BMCs: each virtual node has an ipmi_sim whose power off is that node's power cut, driven
// by cluster-glue's external/ipmi (Heartbeat's stonith_host lines) or fence-agents' fence_ipmilan (fence.cf).
// Exactly one node holds the group whatever fails: a power cut, a frozen node, every link cut, a BMC out of
// reach, both nodes booting cut off.
import t, { type Test } from 'tap'
import { existsSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { until } from '../../lib/wait.ts'
import { cluster, type HaloNode } from '../harness/cluster.ts'
import { type FenceKind, cutBmcs, cutHeartbeat, fenceWith, fences, nowNs, switchesSince, watchTwoWriters } from '../harness/fencing.ts'
import { powerCut, runsExactly, settled } from '../harness/scenario.ts'

const ACTIVE_PASSIVE = 'nodea hbtest::r1 hbtest::r2\n'
const VIP = '10.251.0.100'
const ipaddr = fileURLToPath(new URL('../../dist/agents/IPaddr', import.meta.url))

/** The node has the VIP as one of its own addresses (read from its network namespace's routing table). */
function holdsVip(n: HaloNode): boolean {
  const pid = n.vm.pid
  if (!(pid > 0)) return false
  try {
    const trie = readFileSync(`/proc/${pid}/net/fib_trie`, 'utf8')
    return new RegExp(`\\|-- ${VIP.replaceAll('.', '\\.')}\\n\\s+/32 host LOCAL`).test(trie)
  } catch {
    return false
  }
}

/** A cluster with a BMC per node and fencing through `kind`, booted, each node holding its own groups. */
async function fencedPair(t: Test, opts: { haresources?: string; kind?: FenceKind; options?: string; initdead?: string; before?: (nodes: HaloNode[]) => unknown } = {}) {
  const [a, b] = await cluster(t, { bmc: true, haresources: opts.haresources, initdead: opts.initdead })
  await opts.before?.([a, b])
  fenceWith([a, b], opts.kind ?? 'external/ipmi', { options: opts.options })
  await Promise.all([a.boot(), b.boot()])
  await settled(a, 'local')
  await settled(b, 'local')
  return [a, b] as const
}

t.test('power cut of the active node: the BMC says it is off, then the peer takes over', async (t) => {
  const [a, b] = await fencedPair(t, { haresources: ACTIVE_PASSIVE })
  const cut = nowNs()
  await powerCut(a)
  await until('nodeb takes r1 r2', () => runsExactly(b, ['r1', 'r2']), 20_000)
  const [fence] = await fences(b)
  t.match(fence, { target: 'nodea', device: 'external/ipmi', ok: true }, 'nodeb asked nodea\'s BMC, which confirmed')
  const r1 = b.hbtestLog().find((e) => e.name === 'r1' && e.action === 'start' && e.ns >= cut)!
  t.ok(Date.parse(fence.at) * 1e6 <= Number(r1.ns), 'the group started after the confirmation')
  t.match(b.haLog(), /nodea is powered off, as external\/ipmi \(.*ha\.cf:\d+\) says/)
  t.same(switchesSince(a, cut), ['off'], 'nodea stays off: a reset would power it on')
})

t.test('frozen active node: the peer powers it off before taking over; never two holders', async (t) => {
  const [a, b] = await fencedPair(t, {
    haresources: `nodea IPaddr::${VIP}/24/eth0 hbtest::r1\n`,
    before: (nodes) => nodes.forEach((n) => symlinkSync(ipaddr, join(n.dir, 'etc/ha.d/resource.d/IPaddr'))),
  })
  t.ok(holdsVip(a) && a.running('r1'), 'nodea holds the VIP and r1')
  const watch = watchTwoWriters(a, b, (n) => holdsVip(n) || n.running('r1'))
  const frozen = nowNs()
  await a.freeze()
  // the fault lasts 3 × deadtime, whatever the cluster does meanwhile (a reset node has nothing to thaw)
  const thawed = new Promise<void>((done) => setTimeout(() => void a.thaw().finally(done), 3000))
  await until('nodea powered off', () => switchesSince(a, frozen).includes('off'), 10_000)
  const off = a.powerLog().find((e) => e.ns >= frozen && e.event === 'off')!
  t.ok(off.ns - frozen < 3_000_000_000n, `nodeb powered nodea off ${(Number(off.ns - frozen) / 1e6).toFixed(0)} ms into the freeze, before the thaw`)
  await thawed
  // reset: nodea boots at once (a real server takes minutes) and may take its group back before nodeb has
  // started it; either way the group runs on exactly one node, and only after the power went
  await until('the group at home again', () => holdsVip(a) && a.running('r1') && !holdsVip(b) && !b.running('r1'), 30_000)
  await settled(a, 'local')
  await settled(b, 'local')
  t.match(switchesSince(a, frozen), ['off', 'on'], "nodea was reset by its BMC (Heartbeat's action)")
  // the record is kept when stonith returns, which sleeps 1 s after the reset
  await until("nodeb's fence recorded", async () => (await fences(b)).length > 0, 10_000)
  t.match((await fences(b))[0], { target: 'nodea', device: 'external/ipmi', action: 'reset', ok: true })
  const started = [a, b].flatMap((n) => n.hbtestLog().filter((e) => e.name === 'r1' && e.action === 'start' && e.ns >= frozen))
  t.ok(started.length > 0 && started.every((e) => e.ns > off.ns), 'r1 started again only after nodea lost its power')
  const { samples, both } = watch.stop()
  t.ok(samples > 300, `${samples} samples`)
  t.equal(both, 0, 'in no 10 ms sample did both nodes hold the VIP or r1')
})

t.test('every heartbeat link cut, ten times: the node that serves survives, the other is fenced', async (t) => {
  // the reset nodeb boots at once; its initdead (10 s) is the time the links have to be healed in, so that
  // it joins instead of fencing back: they are, as soon as its power went
  const [a, b] = await fencedPair(t, { haresources: ACTIVE_PASSIVE, initdead: '10' })
  for (let i = 1; i <= 10; i++) {
    await settled(a, 'local')
    await settled(b, 'local')
    const since = nowNs()
    const healA = await cutHeartbeat(t, a)
    const healB = await cutHeartbeat(t, b)
    await until(`#${i}: nodeb fenced`, () => switchesSince(b, since).includes('off'), 15_000)
    await healA()
    await healB()
    await until(`#${i}: nodeb back`, async () => (await a.cmd('cl_status', 'nodestatus', 'nodeb')) === 'active', 20_000)
    t.same(switchesSince(a, since), [], `#${i}: nodea, which served, was never powered off`)
    t.ok(runsExactly(a, ['r1', 'r2']), `#${i}: nodea runs the group`)
    t.ok(runsExactly(b, []), `#${i}: nodeb runs nothing`)
  }
  const fencedB = async () => (await fences(a)).filter((f) => f.ok && f.target === 'nodeb').length
  // the record is kept when stonith returns, which sleeps 1 s after the reset: the last may still come
  await until('the tenth fence recorded', async () => (await fencedB()) >= 10, 10_000)
  t.equal(await fencedB(), 10, 'ten fences of nodeb, by nodea')
})

t.test('active/active, every link cut: one survivor (the first node of ha.cf) runs both groups', async (t) => {
  const [a, b] = await fencedPair(t)
  const since = nowNs()
  await cutHeartbeat(t, a)
  await cutHeartbeat(t, b)
  await until('nodeb fenced', () => switchesSince(b, since).includes('off'), 15_000)
  await until('nodea runs r1 r2 r3', () => runsExactly(a, ['r1', 'r2', 'r3']), 15_000)
  t.same(switchesSince(a, since), [], 'nodea was never powered off')
  await until("nodea's fence recorded", async () => (await fences(a)).length > 0, 10_000)
  t.match(await fences(a), [{ target: 'nodeb', ok: true }], 'nodea fenced nodeb, once')
})

t.test('BMC out of reach: a warning at start, no takeover, a retry every 5 s; when it answers, fence and takeover', async (t) => {
  let reachBmc!: () => Promise<void>
  const [a, b] = await fencedPair(t, {
    haresources: ACTIVE_PASSIVE,
    kind: 'fence_ipmilan',
    options: 'power_wait=0 login_timeout=1 power_timeout=2 retry_on=1',
    before: async ([, b]) => (reachBmc = await cutBmcs(t, b)),
  })
  await until("nodeb's check of its device", () => /fence device/.test(b.haLog()), 30_000)
  t.match(b.haLog(), /\/etc\/ha\.d\/fence\.cf:1: fence device fence_ipmilan does not answer/, 'the start-up check names the line')
  await a.freeze()
  await until('two failed rounds on nodeb', () => (b.haLog().match(/nodea is not fenced .*trying again in 5 s/g) ?? []).length >= 2, 60_000)
  t.ok(runsExactly(b, []), 'nodeb took nothing')
  // Heartbeat's log stamps (…_16:34:25): the rounds are at least the 5 s pause apart
  const at = [...b.haLog().matchAll(/_(\d\d):(\d\d):(\d\d) .*nodea is not fenced/g)].map(([, h, m, sec]) => (+h * 60 + +m) * 60 + +sec)
  t.ok(at[1] - at[0] >= 5, `the second round ${at[1] - at[0]} s after the first`)
  await reachBmc()
  await until('nodeb takes r1 r2 once the BMC answers', () => runsExactly(b, ['r1', 'r2']), 30_000)
  await a.thaw()
  t.match((await fences(b)).at(-1), { target: 'nodea', ok: true })
  t.ok((await fences(b)).some((f) => !f.ok), 'the failed attempts are in the history')
})

t.test('both nodes booted with the links down: the first node fences the other, never both run', async (t) => {
  const [a, b] = await cluster(t, { bmc: true, haresources: ACTIVE_PASSIVE })
  fenceWith([a, b], 'external/ipmi')
  await cutHeartbeat(t, a)
  const healB = await cutHeartbeat(t, b)
  const since = nowNs()
  const watch = watchTwoWriters(a, b, (n) => n.running('r1'))
  await Promise.all([a.boot(), b.boot()])
  await until('nodeb fenced', () => switchesSince(b, since).includes('off'), 20_000)
  await until('nodea runs the group', () => runsExactly(a, ['r1', 'r2']), 20_000)
  t.notOk(switchesSince(a, since).includes('off'), 'nodea was not powered off')
  t.notMatch(b.haLog(), /fencing nodea/, 'nodeb, second in ha.cf, let nodea fence first')
  t.equal(watch.stop().both, 0, 'never both running r1')
  // the rebooted nodeb, still cut off, takes nothing before initdead and a fence of its own
  t.ok(runsExactly(b, []))
  await healB()
})

t.test('the log says who was fenced, how, how long it took; the password is nowhere', async (t) => {
  const [a, b] = await fencedPair(t, { haresources: ACTIVE_PASSIVE })
  await cutHeartbeat(t, a)
  await cutHeartbeat(t, b)
  await until('nodeb fenced', async () => (await fences(a)).some((f) => f.ok), 15_000)
  t.match(a.haLog(), /fenced nodeb: reset through external\/ipmi \(\/etc\/ha\.d\/ha\.cf:\d+\) confirmed in \d+ ms/)
  const status = await a.cmd('cl_status', 'fencestatus', '-v')
  t.match(status, /device external\/ipmi \(\/etc\/ha\.d\/ha\.cf:\d+\): reset of nodeb; answers/)
  t.match(status, /nodeb reset external\/ipmi .* ok \d+ ms/)
  const password = a.bmc!.password
  t.notMatch(a.haLog() + readFileSync(join(a.dir, 'var/lib/heartbeat/ha-debug'), 'utf8'), password, 'not in the log')
  t.notMatch(await a.cmd('cl_status', 'hbparameter', '-p', 'stonith_host'), password, 'not in hbparameter')
  t.notOk(existsSync(join(a.dir, 'var/lib/heartbeat', password)))
})
