// A lossy heartbeat link is no death: with 30 % of each node's heartbeat datagrams from its peer dropped
// for 60 s (keepalive 200ms, deadtime 1), neither node declares the other dead, no group moves, and with
// fencing on (a BMC per node) nobody is fenced: a false death would cost a node a reboot.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { STARTUP_DT_WINDOW_MS } from '../../ha.d/engine.ts'
import { cluster } from '../harness/cluster.ts'
import { fenceWith, nowNs, switchesSince } from '../harness/fencing.ts'
import { lossyLink } from '../harness/loss.ts'
import { atHome, calls, runsExactly } from '../harness/scenario.ts'

const LOSS_SECONDS = 60

t.test('30 % loss both ways for a minute, fencing on: no death, no fence, no takeover', async (t) => {
  const [a, b] = await cluster(t, { keepalive: '200ms', deadtime: '1', bmc: true })
  fenceWith([a, b], 'external/ipmi')
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  // both advertise deadtime + 2 s for their first 5 s: the loss must meet the deadtime of 1 s itself
  await sleep(STARTUP_DT_WINDOW_MS)
  const before = { a: calls(a), b: calls(b), logA: a.haLog().length, logB: b.haLog().length }
  const since = nowNs()
  const links = [await lossyLink(a.netns, b.address, 30), await lossyLink(b.netns, a.address, 30)]
  // the scenario is a minute of loss: this wait is its length, not a synchronisation
  await sleep(LOSS_SECONDS * 1000)
  for (const l of links) await l.heal()

  const logA = a.haLog().slice(before.logA)
  const logB = b.haLog().slice(before.logB)
  t.notMatch(logA, /is dead/, 'nodea never declared nodeb dead')
  t.notMatch(logB, /is dead/, 'nodeb never declared nodea dead')
  t.match(logA + logB, /Late heartbeat/, 'the link did lose heartbeats')
  t.same([...switchesSince(a, since), ...switchesSince(b, since)], [], 'no node was powered off')
  t.notMatch(logA + logB, /fencing node/, 'no fence was started')
  t.same(calls(a), before.a, 'no hbtest call on nodea while the link was lossy')
  t.same(calls(b), before.b, 'no hbtest call on nodeb while the link was lossy')
  t.ok(runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']), 'each node still runs its own group')
  t.equal(await a.cmd('cl_status', 'nodestatus', 'nodeb'), 'active')
  t.equal(await b.cmd('cl_status', 'nodestatus', 'nodea'), 'active')
})
