// Local recovery on the example cluster (demo/stack.ts, mon.cf's halo-recover.alert, recovery.cf as
// shipped): real MariaDB on a loop disk, the application server, halo's engine on two virtual nodes,
// halo-mon in the group, a client committing rows and the application server's users requesting through
// the virtual IP. The application server's crash is seen by the engine's watch of its pid file, MariaDB's
// by halo-mon. A crash is restarted on the same node, leaving what comes before it in the group alone;
// halo-mon's restart keeps the counts; a restart that fails moves the group at once. The watcher samples
// both nodes every 10 ms: what was not restarted never went down. Needs `npm run build` first.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ask } from '../../ha.d/control.ts'
import { crash } from '../../demo/scenario.ts'
import { until } from '../../lib/wait.ts'
import { bin, cluster, eventsOf, failures, noneLost, places, socketOf } from './recovering.ts'

t.test('crashes restarted in place: the application server, then MariaDB with the server after it; a failed restart moves the group', async (t) => {
  const { stack, writer, users } = await cluster(t)
  const [node1] = stack.nodes
  const before = await places(node1)
  t.match(before, { mariadbd: /^\d+$/, disk: /^\d+$/, vip: true, appserver: /^\d+$/ }, 'node1 runs MariaDB and the server, mounts the disk, holds the VIP')

  // the application server crashes
  const first = await crash(stack, users, 'appserver')
  t.equal(first.to, 'node1', 'the application server runs again on node1')
  const after = await places(node1)
  t.same([after.mariadbd, after.disk, after.vip], [before.mariadbd, before.disk, true], "MariaDB's process, the data disk's mount and the virtual IP are the same")
  t.not(after.appserver, before.appserver, 'the application server is a new process')
  t.same(eventsOf(stack, 'node1', first.at, /^(disk|vip|mysql) /), [], 'the disk, the VIP and MariaDB never went down')
  t.same(eventsOf(stack, 'node2', first.at, /^(disk|vip|mysql|appserver|mon) up$/), [], 'node2 started nothing')
  t.match(readFileSync(stack.haLog(node1), 'utf8'), /appserver::\S+ restarted in place in \d+ ms/, "node1's log says it restarted it")
  t.match(readFileSync(stack.haLog(node1), 'utf8'), /appserver::\S+ failed \(seen by the engine's process watch: its process ended \(pid \d+, \/run\/linkserv\.pid\)\)/, "seen by recovery.cf's watch= of the server's pid file")
  t.equal((await failures(node1)).appserver?.count, 1, 'one failure of the application server counted')
  await noneLost(t, stack, writer, 'after the restart in place')

  // halo-mon restarted (the admin's restart, no failure counted): the engine keeps the count
  const restarted = await ask({ op: 'restart', resource: 'halo-mon' }, socketOf(node1), 120_000)
  t.match(restarted, { ok: true }, 'halo-mon restarted in place')
  t.equal((await failures(node1)).appserver?.count, 1, 'the count outlives halo-mon')
  const second = await crash(stack, users, 'appserver')
  t.equal(second.to, 'node1', 'the second crash is restarted in place too')
  t.equal((await failures(node1)).appserver?.count, 2, 'two failures counted: the new halo-mon added to the old count')

  // MariaDB crashes: restarted in place, then the application server after it
  const pre = await places(node1)
  const db = await crash(stack, writer, 'mysql')
  t.equal(db.to, 'node1', 'MariaDB runs again on node1')
  const post = await places(node1)
  t.same([post.disk, post.vip], [pre.disk, true], 'the data disk and the virtual IP are the same')
  t.not(post.mariadbd, pre.mariadbd, 'MariaDB is a new process')
  t.not(post.appserver, pre.appserver, 'so is the application server, restarted after it')
  const order = eventsOf(stack, 'node1', db.at, /^(mysql|appserver) up$/)
  t.same(order.slice(0, 2), ['mysql up', 'appserver up'], 'MariaDB up first, then the application server')
  t.same(eventsOf(stack, 'node1', db.at, /^(disk|vip) /), [], 'the disk and the VIP never went down')
  t.equal((await failures(node1)).mysqld?.count, 1, 'one failure of MariaDB counted')
  t.match(readFileSync(stack.haLog(node1), 'utf8'), /mysqld::\S+ failed \(seen by halo-recover\.alert \(mon alert for /, 'MariaDB, not watched, was seen by halo-mon through halo-recover.alert')
  await noneLost(t, stack, writer, "after MariaDB's restart in place")
  await users.commitAfter(db.served)

  // the application server's program made unrunnable on node1 alone: its restart fails, the group moves
  const broken = join(node1.dir, 'run-broken-halo.js')
  writeFileSync(broken, 'process.exit(126)\n')
  await node1.exec(['mount', '--bind', broken, join(bin, 'halo')])
  const failed = await crash(stack, users, 'appserver')
  t.equal(failed.to, 'node2', 'the restart failed: node2 runs the group')
  t.equal((await failures(node1)).appserver?.count, 3, 'on the third failure, within migration-threshold 3: a restart was tried')
  t.match(readFileSync(stack.haLog(node1), 'utf8'), /restart of appserver::\S+ failed to start it again: failover of the group to the peer/, "node1's log says why it moved")
  await until('node1 to hold nothing', () => stack.watcher.runs('node1').size === 0, 60_000)
  await noneLost(t, stack, writer, 'after the failover')

  stack.watcher.stop()
  t.same(stack.watcher.violations, [], 'no resource ran on both nodes in any sample')
})
