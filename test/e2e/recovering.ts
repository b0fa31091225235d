/**
 * The local recovery tests' cluster (demo/stack.ts with mon.cf's halo-recover.alert and recovery.cf): its
 * writer and the application server's users, the engine's failure counts, and what a restart in place
 * must leave alone. Needs `npm run build` first.
 */
import type { Test } from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ask, controlSocket, type FailureCount } from '../../ha.d/control.ts'
import type { VirtualNode } from '../../demo/node.ts'
import { PID_FILE } from '../../demo/appserver.ts'
import { lostRows, startClient, startRequests, type Client } from '../../demo/scenario.ts'
import { ClosableScope } from '../../demo/scope.ts'
import { buildStack, VIP, type Stack, type StackOptions } from '../../demo/stack.ts'

export const bin = fileURLToPath(new URL('../../dist/bin', import.meta.url))
if (!existsSync(`${bin}/halo-recover-alert`)) throw new Error('dist/bin/halo-recover-alert is missing: run npm run build first')

export interface Recovering {
  stack: Stack
  writer: Client
  users: Client
}

/** the example cluster with its writer and the application server's users started */
export async function cluster(t: Test, opts: Partial<StackOptions> = {}): Promise<Recovering> {
  const scope = new ClosableScope()
  t.teardown(() => scope.close())
  const stack = await buildStack({ bin, scope, ...opts })
  t.teardown(() => {
    if (!t.passing()) for (const n of stack.nodes) t.comment(`${n.name}'s ha-log:\n${existsSync(stack.haLog(n)) ? readFileSync(stack.haLog(n), 'utf8') : ''}`)
  })
  const writer = startClient(stack, bin, scope)
  const users = startRequests(stack, bin, scope)
  await Promise.all([writer.commitAfter(0n), users.commitAfter(0n)])
  return { stack, writer, users }
}

/** the node's engine's control socket, from the host */
export const socketOf = (node: VirtualNode) => node.path(controlSocket({}))

/** the failures the node's engine counts, by resource script */
export async function failures(node: VirtualNode): Promise<Record<string, FailureCount>> {
  const answer = await ask({ op: 'status' }, socketOf(node))
  if (!answer?.ok || !answer.status) throw new Error(`${node.name}: no status from the engine`)
  return Object.fromEntries((answer.status.failures ?? []).map((f) => [f.resource.split('::')[0], f]))
}

/** what was not restarted: MariaDB's pid, the data disk's mount, the virtual IP, the server's pid */
export async function places(node: VirtualNode) {
  const out = async (argv: string[]) => (await node.exec(argv)).stdout.trim()
  const mountinfo = await out(['cat', '/proc/self/mountinfo'])
  return {
    mariadbd: await out(['pgrep', '-x', 'mysqld|mariadbd']),
    disk: mountinfo.split('\n').find((l) => l.split(' ')[4] === '/srv/ha')?.split(' ')[0],
    vip: (await out(['ip', '-o', 'addr', 'show', 'dev', 'eth1'])).includes(` ${VIP}/`),
    appserver: await out(['cat', PID_FILE]),
  }
}

/** the watcher's events of `node` since `at`, for `what` (disk, vip, mysql, appserver, mon) */
export const eventsOf = (stack: Stack, node: string, at: bigint, what: RegExp) => stack.watcher.events.filter((e) => e.at >= at && e.node === node && what.test(e.what)).map((e) => e.what)

export async function noneLost(t: Test, stack: Stack, writer: Client, when: string): Promise<void> {
  t.same(await lostRows(stack, bin, writer), [], `${when}: all ${writer.acked.size} committed rows are in the table`)
}

