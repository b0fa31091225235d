/**
 * The steps of the demo, shared by `halo demo`, the end-to-end test and bench/stack.ts: a client
 * committing rows through the virtual IP, a power cut of the primary, a service failure that mon must
 * handle, a move of the group, a frozen primary that its peer fences through its BMC. Each step waits on
 * events (the watcher's samples, the client's commits), always bounded, and returns what happened with
 * times on the monotonic clock.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { runOk } from '../lib/exec.ts'
import { until } from '../lib/wait.ts'
import { AGENT_PORT, PID_FILE } from './appserver.ts'
import type { VirtualNode } from './node.ts'
import type { Scope } from './scope.ts'
import { VIP, type Stack } from './stack.ts'

/** where the client runs: the service network's namespace of a halo stack or of the Pacemaker lab */
export type ServiceNetwork = Pick<Stack, 'client'>

export const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6
export const now = (): bigint => process.hrtime.bigint()

export interface Client {
  /** committed row ids, and when the client heard OK */
  acked: Map<number, bigint>
  failures: number
  /** resolves with the time of the first commit acknowledged after `from` */
  commitAfter(from: bigint, ms?: number): Promise<bigint>
  stop(): void
}

/** starts the writer (`halo demo-client`) in the client namespace */
export function startClient(stack: ServiceNetwork, bin: string, scope: Scope, paceMs = 20): Client {
  return startReporter(stack, bin, scope, ['write', String(paceMs)])
}

/** starts the application server's users: a request to its agent port through the virtual IP, one after another */
export function startRequests(stack: ServiceNetwork, bin: string, scope: Scope, paceMs = 20): Client {
  return startReporter(stack, bin, scope, ['request', String(AGENT_PORT), String(paceMs)])
}

/** `halo demo-client` in the client namespace, its outcomes (a commit, an answered request) as a Client */
function startReporter(stack: ServiceNetwork, bin: string, scope: Scope, args: string[]): Client {
  const child = spawn('ip', inClient(stack, bin, ...args), { stdio: ['ignore', 'pipe', 'inherit'] })
  const stop = () => child.kill('SIGKILL')
  scope.teardown(stop)
  const client: Client = {
    acked: new Map(),
    failures: 0,
    async commitAfter(from, limit = 30_000) {
      let seen: bigint | undefined
      await until('a commit through the virtual IP', () => {
        seen = [...client.acked.values()].find((at) => at > from)
        return seen !== undefined
      }, limit)
      return seen!
    },
    stop,
  }
  createInterface({ input: child.stdout }).on('line', (line) => {
    const r = JSON.parse(line) as { ok?: number; fail?: string; at: string }
    if (r.ok !== undefined) client.acked.set(r.ok, BigInt(r.at))
    else client.failures++
  })
  return client
}

/** argv of `ip netns exec CLIENT halo demo-client VIP …`: the virtual IP is reached from the client's side */
const inClient = (stack: ServiceNetwork, bin: string, ...args: string[]) => ['netns', 'exec', stack.client, process.execPath, join(bin, 'halo'), 'demo-client', VIP, ...args]

/** the row ids in the table, read through the virtual IP */
export async function rowsPresent(stack: ServiceNetwork, bin: string): Promise<Set<number>> {
  return new Set(JSON.parse(await runOk(['ip', ...inClient(stack, bin, 'rows')], { timeout: 30_000 })) as number[])
}

/** the host name of the node that answers on the virtual IP */
export async function servedBy(stack: ServiceNetwork, bin: string): Promise<string> {
  return (await runOk(['ip', ...inClient(stack, bin, 'host')], { timeout: 30_000 })).trim()
}

/** committed ids missing from the table */
export async function lostRows(stack: ServiceNetwork, bin: string, client: Client): Promise<number[]> {
  // acknowledged before the read starts: the client keeps committing while we read
  const acked = [...client.acked.keys()]
  const present = await rowsPresent(stack, bin)
  return acked.filter((id) => !present.has(id))
}

export interface Failover {
  from: string
  to: string
  /** the fault: the power cut, or the moment the service's port was closed */
  at: bigint
  /** the first commit through the virtual IP after the fault */
  served: bigint
}

/** cuts the power of the node running the group; returns once the other serves commits */
export async function powerCut(stack: Stack, client: Client): Promise<Failover> {
  const from = stack.watcher.active()
  const to = stack.nodes.find((n) => n.name !== from)!.name
  const at = now()
  await stack.node(from).powerCut()
  // a commit the dying node acknowledged while the power went is no proof of service: count from its death
  const served = await client.commitAfter(now())
  await stack.settled(to)
  return { from, to, at, served }
}

/**
 * The node running the group hangs: every process of it stopped, its virtual IP and mount left in its
 * kernel. The other must power it off through its BMC before it takes anything (Heartbeat's action is a
 * reset: the hung node boots again). Returns once the other serves commits.
 */
export async function freeze(stack: Stack, client: Client): Promise<Failover> {
  if (!stack.bmcs) throw new Error('the stack has no BMCs (ipmi_sim or stonith missing): nothing can fence a frozen node')
  const from = stack.watcher.active()
  const to = stack.nodes.find((n) => n.name !== from)!.name
  const at = now()
  await stack.node(from).freeze()
  // the frozen node may still hand the client an answer it wrote before it stopped: count from the peer's VIP
  const vipUp = () => stack.watcher.find(at, to, 'vip up')
  await until(`${to} to fence ${from} and raise the virtual IP`, () => vipUp() !== undefined, 30_000)
  const served = await client.commitAfter(vipUp()!.at)
  await stack.settled(to)
  return { from, to, at, served }
}

export type Service = 'appserver' | 'mysql'

/** the service stops answering on the active node: its port closes; mon must move the group */
export async function serviceFailure(stack: Stack, client: Client, service: Service): Promise<Failover> {
  const from = stack.watcher.active()
  const node = stack.node(from)
  const to = stack.nodes.find((n) => n.name !== from)!.name
  const at = signalService(node, service, service === 'appserver' ? 'SIGUSR2' : 'SIGKILL')
  await stack.settled(to)
  const served = await client.commitAfter(stack.watcher.find(at, to, 'appserver up')!.at)
  return { from, to, at, served }
}

/**
 * Signals the service's processes on `node` (the server its pid file names; every mysqld or mariadbd)
 * from here, not through a command run in the node: the instant returned is the signal's own, without the
 * tens of ms a command's start-up would put before it.
 */
function signalService(node: VirtualNode, service: Service, signal: NodeJS.Signals): bigint {
  const pids =
    service === 'appserver'
      ? [node.hostPid(Number(readFileSync(node.path(PID_FILE), 'utf8').trim()))].filter((p) => p !== undefined)
      : node.processes().filter((p) => /^(mysqld|mariadbd)$/.test(comm(p)))
  if (pids.length === 0) throw new Error(`no ${service} process runs on ${node.name}`)
  const at = now()
  for (const p of pids) process.kill(p, signal)
  return at
}

const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return '' // gone meanwhile
  }
}

/**
 * The service crashes on the active node (killed); resolves once `users` (the writer for MariaDB, the
 * requests for the application server) are served again, with the node that runs it then: the same one
 * when it was restarted in place (`to` is `from`), the peer after a failover.
 */
export async function crash(stack: Stack, users: Client, service: Service): Promise<Failover> {
  const from = stack.watcher.active()
  // SIGKILL, as a crash
  const at = signalService(stack.node(from), service, 'SIGKILL')
  // down first: a sample from before the kill is no proof of a restart
  const down = () => stack.watcher.find(at, from, `${service} down`)
  await until(`${service} to go down on ${from}`, () => down() !== undefined, 10_000)
  const back = () => {
    const holder = stack.watcher.holder()
    return holder === undefined ? undefined : stack.watcher.find(down()!.at, holder, `${service} up`)
  }
  await until(`${service} to run again, with the whole group on one node`, () => back() !== undefined, 60_000)
  // the users' first answer once it was down, on their own clock: not the first after this watcher, which
  // samples every 10 ms, saw it up again
  const served = await users.commitAfter(down()!.at)
  return { from, to: back()!.node, at, served }
}

/**
 * powers `node` on again (unless its BMC's reset did); resolves once both engines agree it is the standby
 * (rscstatus none / all)
 */
export async function rejoin(stack: Stack, node: VirtualNode): Promise<void> {
  const holder = stack.nodes.find((n) => n !== node)!
  await stack.boot(node)
  const rscstatus = async (n: VirtualNode) => (await n.exec([join(stack.bin, 'cl_status'), 'rscstatus'])).stdout.trim()
  await until(`${node.name} to join as the standby`, async () => (await rscstatus(node)) === 'none' && (await rscstatus(holder)) === 'all', 60_000)
  await stack.settled(holder.name)
}

/** moves the group to `to` the admin's way: hb_standby on the node that holds it */
export async function moveGroup(stack: Stack, to: VirtualNode): Promise<void> {
  const from = stack.nodes.find((n) => n !== to)!
  await stack.cmd(from, 'hb_standby', 'all')
  await stack.settled(to.name)
}
