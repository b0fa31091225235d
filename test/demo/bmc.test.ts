// Each virtual node's BMC is a real one (ipmi_sim on the management LAN): fence_ipmilan and cluster-glue's
// external/ipmi, run from the peer node, power the node off, on and through a reset; off kills every
// process of the node, on boots it with its engine. Also: freezing and thawing a node.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runOk } from '../../lib/exec.ts'
import { isAlive, processStat } from '../../lib/process.ts'
import { until } from '../../lib/wait.ts'
import { cluster, type HaloNode } from '../harness/cluster.ts'
import { heartbeatAnswers } from '../harness/heartbeat.ts'
import { engineStatus } from '../harness/scenario.ts'

/** fence_ipmilan in its stdin form (as fenced and Pacemaker run it), inside `from`, on `target`'s BMC */
async function fenceIpmilan(from: HaloNode, target: HaloNode, action: string, password = target.bmc!.password) {
  const { address, user } = target.bmc!
  const input = `action=${action}\nip=${address}\nusername=${user}\npassword=${password}\nlanplus=1\ncipher=3\n`
  const r = await from.vm.exec(['fence_ipmilan'], { input, timeout: 60_000 })
  return { code: r.code, out: r.stdout.trim() }
}

/** cluster-glue's stonith with external/ipmi, inside `from`, its parameters in a 0600 file as ha.cf's `stonith` line has them */
async function stonith(t: Test, from: HaloNode, target: HaloNode, action: string) {
  const { address, user, password } = target.bmc!
  const dir = mkdtempSync(join(tmpdir(), 'halo-stonith-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'ipmi.conf')
  writeFileSync(file, `${target.name} ${address} ${user} ${password} lan\n`, { mode: 0o600 })
  return (await from.vm.exec(['stonith', '-t', 'external/ipmi', '-F', file, '-T', action, target.name], { timeout: 60_000 })).code
}

/** the power log's events since `from` entries */
const eventsSince = (node: HaloNode, from: number) => node.powerLog().slice(from).map((e) => e.event)

/** the engine answers on its control socket */
const engineAnswers = (node: HaloNode) =>
  until(`${node.name}'s engine to answer on its control socket`, () => engineStatus(node).then(() => true, () => false), 15_000)

t.test('fence_ipmilan from nodeb powers nodea off, on and through a reboot; nodea reaches nodeb\'s BMC', async (t) => {
  const [a, b] = await cluster(t, { bmc: true })
  await Promise.all([a.boot(), b.boot()])
  t.match(a.bmc, { address: '10.252.0.101', user: 'admin' })
  t.not(a.bmc!.password, b.bmc!.password, 'a password per BMC')

  t.same(await fenceIpmilan(b, a, 'status'), { code: 0, out: 'Status: ON' })
  t.same(await fenceIpmilan(a, b, 'status'), { code: 0, out: 'Status: ON' }, "nodea reaches nodeb's BMC too")
  const wrong = await fenceIpmilan(b, a, 'off', 'not-the-password')
  t.equal(wrong.code, 1, 'a wrong password is refused')
  t.ok(a.vm.up, '…and nodea keeps running')

  let init = a.vm.pid
  let logged = a.powerLog().length
  const t0 = BigInt(Date.now()) * 1_000_000n
  t.equal((await fenceIpmilan(b, a, 'off')).code, 0, 'off')
  t.notOk(isAlive(init), "nodea's PID 1 is dead")
  t.equal(a.vm.pid, 0, 'nodea is off')
  t.same(a.vm.processes(), [], 'no process of nodea is left')
  t.match(await runOk(['ip', '-n', a.netns, '-o', 'link', 'show', 'eth1']), /state DOWN/, 'its links are down')
  t.same(eventsSince(a, logged), ['off'])
  t.ok(a.powerLog().at(-1)!.ns >= t0, 'logged with the host time of the switch')
  t.same(await fenceIpmilan(b, a, 'status'), { code: 2, out: 'Status: OFF' })

  logged = a.powerLog().length
  t.equal((await fenceIpmilan(b, a, 'on')).code, 0, 'on')
  t.ok(a.vm.pid > 0, 'nodea has a PID 1 again')
  t.same(eventsSince(a, logged), ['on'])
  await engineAnswers(a)
  t.same(await fenceIpmilan(b, a, 'status'), { code: 0, out: 'Status: ON' })
  t.same(await fenceIpmilan(a, b, 'status'), { code: 0, out: 'Status: ON' }, 'its links are up again: it reaches the BMCs')

  init = a.vm.pid
  logged = a.powerLog().length
  t.equal((await fenceIpmilan(b, a, 'reboot')).code, 0, 'reboot')
  t.notOk(isAlive(init), 'the old PID 1 is dead')
  t.ok(a.vm.pid > 0 && a.vm.pid !== init, 'a new one runs')
  t.same(eventsSince(a, logged), ['off', 'on'])
  await engineAnswers(a)
})

t.test("stonith's external/ipmi from nodeb: off, on and reset of nodea; a Heartbeat node comes back with its heartbeat", async (t) => {
  const [a, b] = await cluster(t, { bmc: true, kinds: ['heartbeat', 'halo'] })
  await Promise.all([a.boot(), b.boot()])
  let init = a.vm.pid
  let logged = a.powerLog().length
  t.equal(await stonith(t, b, a, 'off'), 0, 'off')
  t.notOk(isAlive(init), "nodea's PID 1 is dead")
  t.same(eventsSince(a, logged), ['off'])
  t.notOk(a.running('r1'), 'nothing runs on a node without power')

  logged = a.powerLog().length
  t.equal(await stonith(t, b, a, 'on'), 0, 'on')
  t.ok(a.vm.pid > 0, 'nodea boots')
  t.same(eventsSince(a, logged), ['on'])
  await heartbeatAnswers(a.vm)

  init = a.vm.pid
  logged = a.powerLog().length
  t.equal(await stonith(t, b, a, 'reset'), 0, 'reset')
  t.notOk(isAlive(init), 'the old PID 1 is dead')
  t.ok(a.vm.pid > 0 && a.vm.pid !== init, 'a new one runs')
  t.same(eventsSince(a, logged), ['off', 'on'])
  await heartbeatAnswers(a.vm)
})

t.test('a frozen node: every process stopped, its state kept; thawed, it goes on', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  t.ok(a.vm.processes().includes(a.vm.pid), "PID 1 is one of the node's processes")
  await a.freeze()
  const frozen = a.vm.processes()
  const states = frozen.map((p) => processStat(p)?.state)
  t.ok(frozen.includes(a.vm.pid) && states.every((s) => s === 'T'), `all stopped, PID 1 too: ${states.join(' ')}`)
  t.ok(a.vm.up, 'powered all the same')
  await a.thaw()
  t.notOk(a.vm.processes().some((p) => processStat(p)?.state === 'T'), 'none stopped')
  await engineAnswers(a)
})
