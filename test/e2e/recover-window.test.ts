// Local recovery's window on the example cluster, with recovery.cf giving the application server one
// restart in place within a short failure-timeout: a crash is restarted; once the window has passed the
// count starts again (the next crash is restarted too); a crash within the window of the last one is one
// more than migration-threshold allows, and the group moves to the peer. Needs `npm run build` first.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { crash } from '../../demo/scenario.ts'
import { until } from '../../lib/wait.ts'
import { cluster, eventsOf, failures, noneLost } from './recovering.ts'

/** long enough that two crashes in a row (mon's 4 to 6 s each, and a restart) fall inside it under load */
const WINDOW_S = 60
const RECOVERY_CF = `default migration-threshold=3 failure-timeout=10min
appserver migration-threshold=1 failure-timeout=${WINDOW_S}
`

t.test('migration-threshold 1: restarted, the window passes, restarted again, the next crash in the window moves the group', async (t) => {
  const { stack, writer, users } = await cluster(t, { recoveryCf: RECOVERY_CF })
  const [node1] = stack.nodes

  const first = await crash(stack, users, 'appserver')
  t.equal(first.to, 'node1', 'the first crash is restarted in place')
  t.match((await failures(node1)).appserver, { count: 1, threshold: 1, windowMs: WINDOW_S * 1000 })

  // the failure is forgotten when its window has passed: the engine's status says when
  await until('the failure to leave the window', async () => (await failures(node1)).appserver?.count === 0, (WINDOW_S + 30) * 1000)
  const again = await crash(stack, users, 'appserver')
  t.equal(again.to, 'node1', 'after the window the count starts again: restarted in place')
  t.equal((await failures(node1)).appserver?.count, 1, 'one failure counted, not two')

  const moved = await crash(stack, users, 'appserver')
  t.equal(moved.to, 'node2', 'the second failure within the window moves the group to node2')
  t.same(eventsOf(stack, 'node1', moved.at, /^appserver up$/), [], 'node1 did not restart it this time')
  t.match(readFileSync(stack.haLog(node1), 'utf8'), /2 failure\(s\) of appserver::\S+ within [^,]+, more than its migration-threshold 1: moving group/, "node1's log says why")
  await noneLost(t, stack, writer, 'after the failover')

  stack.watcher.stop()
  t.same(stack.watcher.violations, [], 'no resource ran on both nodes in any sample')
})
