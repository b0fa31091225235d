/**
 * `halo demo`: the example cluster on this machine, told as it happens. Builds the stack, starts a
 * client committing rows through the virtual IP, cuts the primary's power, shows the failover's
 * timeline and checks every committed row; kills the application server and shows it restarted on the
 * same node (local recovery: halo-mon, halo-recover.alert, recovery.cf); closes its port again and shows
 * the group moving, as recovery.cf allows one restart here; moves it back; freezes the primary and shows its peer powering it off
 * through its BMC before taking over (skipped, said once, when the stack has no BMCs). Everything is
 * undone at the end, on Ctrl-C or on any failure, unless --keep (then it says how to enter each node).
 */
import { join } from 'node:path'
import { HaloError } from '../lib/errors.ts'
import { readFileSync } from 'node:fs'
import { crash, freeze, lostRows, moveGroup, ms, powerCut, rejoin, serviceFailure, startClient, startRequests, type Client, type Failover } from './scenario.ts'
import { ClosableScope } from './scope.ts'
import { buildStack, exampleDir, VIP, type Stack } from './stack.ts'
import { timeline, type FromNode } from './timeline.ts'

const tty = process.stdout.isTTY
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s)

/** runs `work` while showing what it waits for and for how long */
async function step<T>(what: string, work: Promise<T>): Promise<T> {
  const t0 = performance.now()
  const show = (end = '') => process.stdout.write(`${tty ? '\r\x1b[K' : ''}  … ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)${end}`)
  const timer = tty ? setInterval(() => show(), 200) : undefined
  try {
    return await work
  } finally {
    clearInterval(timer)
    show('\n')
  }
}

export async function demo(bin: string, keep: boolean): Promise<number> {
  if (process.getuid?.() !== 0) throw new HaloError(1, 'the demo needs root (it creates network namespaces, mounts and a loop device)')
  // also closed when the demo ends otherwise: Ctrl-C, an error
  const scope = new ClosableScope()
  console.log(bold('halo demo: a MySQL + application server cluster on two virtual nodes'))
  // the example's policy, but one restart of the application server within 10 min: the second failure moves the group
  const recoveryCf = readFileSync(join(exampleDir(bin), 'recovery.cf'), 'utf8').replace(/^appserver migration-threshold=\d+/m, 'appserver migration-threshold=1')
  const stack = await step('bringing the cluster up', buildStack({ bin, scope, recoveryCf, say: (s) => console.log(`  ${s}`) }))
  console.log(`  node1 runs the group: data disk, virtual IP ${VIP}, MariaDB, application server, halo-mon`)

  console.log(bold('\nA client writes rows through the virtual IP'))
  const client = startClient(stack, bin, scope)
  // the application server's users: a request to its agent port through the virtual IP, every 20 ms
  const users = startRequests(stack, bin, scope)
  await step('the first commits', client.commitAfter(0n))
  await step('a second of traffic', until1s(client))
  console.log(`  ${client.acked.size} rows committed so far`)

  console.log(bold("\nnode1's power is cut"))
  const cut = await step('waiting for node2 to take over', powerCut(stack, client))
  report(stack, cut, 'power cut', 'none')
  await checkRows(stack, bin, client)
  await step('node1 boots again and joins as the standby', rejoin(stack, stack.nodes[0]))

  console.log(bold('\nFailback: node1 is sound again, the admin moves the group home (hb_standby on node2)'))
  await step('moving the group to node1', moveGroup(stack, stack.nodes[0]))
  await checkRows(stack, bin, client)

  console.log(bold('\nThe application server on node1 crashes (killed)'))
  console.log("  the engine watches the server's process (recovery.cf's watch=/run/linkserv.pid) and recovers it under recovery.cf's policy")
  const crashed = await step('waiting for the engine to restart it on node1', crash(stack, users, 'appserver'))
  report(stack, crashed, 'application server killed', 'all', 'the crash', 'first request answered through the virtual IP')
  console.log(`  ${crashed.to === crashed.from ? `restarted on ${crashed.to}: the data disk, the virtual IP and MariaDB were not touched` : `moved to ${crashed.to}`}`)
  await checkRows(stack, bin, client)

  console.log(bold('\nThe application server on node1 stops answering on its port again, within 10 minutes'))
  console.log('  recovery.cf allows it one restart in 10 min here (migration-threshold=1): this failure moves the group')
  const failure = await step('waiting for halo-mon to notice and the engine to hand the group to node2', serviceFailure(stack, client, 'appserver'))
  report(stack, failure, "application server's port 6460 closed", 'all')
  await checkRows(stack, bin, client)

  console.log(bold('\nFailback again: the group goes home to node1'))
  await step('moving the group to node1', moveGroup(stack, stack.nodes[0]))
  await checkRows(stack, bin, client)

  // without BMCs the stack said so once, as it came up
  if (stack.bmcs) {
    console.log(bold('\nnode1 hangs: every process stopped, its virtual IP and mount still in its kernel'))
    console.log(`  node2 may take nothing until node1 is powered off: it fences node1 through node1's BMC (${stack.bmcs.get('node1')!.address}, ipmi_sim)`)
    const frozen = await step('waiting for node2 to power node1 off through its BMC and take over', freeze(stack, client))
    report(stack, frozen, 'frozen: every process stopped', 'power', 'the freeze')
    await checkRows(stack, bin, client)
    await step('node1, reset by its BMC, boots again and joins as the standby', rejoin(stack, stack.nodes[0]))
  }
  client.stop()
  users.stop()
  if (stack.watcher.violations.length) throw new HaloError(1, `a resource ran on both nodes: ${stack.watcher.violations[0]}`)
  console.log(`\n  no resource ran on both nodes at any moment (${client.acked.size} rows, ${client.failures} failed attempts during the moves)`)
  if (keep) return keepRunning(stack, bin)
  console.log('\nCleaning up (namespaces, mounts, loop device, processes).')
  scope.close()
  return 0
}

function report(stack: Stack, f: Failover, fault: string, fromNode: FromNode, since = `the ${fault}`, served?: string): void {
  for (const line of timeline(f, stack.watcher.events, fault, fromNode, served)) console.log(line)
  console.log(`  service back ${Math.round(ms(f.at, f.served))} ms after ${since}`)
}

async function checkRows(stack: Stack, bin: string, client: Client): Promise<void> {
  const lost = await lostRows(stack, bin, client)
  if (lost.length) throw new HaloError(1, `committed rows lost: ${lost.join(' ')}`)
  console.log(`  all ${client.acked.size} committed rows are there`)
}

function until1s(client: Client): Promise<bigint> {
  return client.commitAfter(process.hrtime.bigint() + 1_000_000_000n)
}

async function keepRunning(stack: Stack, bin: string): Promise<number> {
  console.log(bold('\nThe cluster keeps running (--keep). Enter a node with:'))
  for (const node of stack.nodes) console.log(`  ${node.name}: nsenter -t ${node.pid} -m -u -n -p bash`)
  console.log(`  client: ip netns exec ${stack.client} bash   (mariadb -h ${VIP} -u demo -pdemo-secret demo)`)
  console.log(`  inside a node: ${join(bin, 'cl_status')} rscstatus, ${join(bin, 'hb_standby')} all, cat /var/log/ha-log`)
  console.log('Press Ctrl-C to stop the cluster and clean everything up.')
  return new Promise<number>(() => {})
}
