/**
 * Running one check of a service as mon does: the monitor line split shell-style, the group's hosts
 * appended unless it ends in `;;`, stdin /dev/null, stderr into stdout, the service's VAR= lines and the
 * MON_* variables in the environment. `tcp.monitor` is answered in-process (./tcpmon.ts). Unlike mon, a
 * monitor has a time limit: a hung check is a failure, not a service that silently stops being watched.
 */
import { findExecutable } from '../lib/which.ts'
import type { MonitorCommand } from './config/moncf.ts'
import { HaloError } from '../lib/errors.ts'
import { run } from '../lib/exec.ts'
import { tcpMonitor } from './tcpmon.ts'

export interface MonitorResult {
  /** 0 ok, anything else failure */
  exitval: number
  /** stdout and stderr as one text: first line the summary, the rest the detail */
  output: string
  timedOut: boolean
}

export interface MonitorCall {
  monitor: MonitorCommand
  /** the group's enabled hosts, minus the service's exclude_hosts */
  hosts: readonly string[]
  /** the environment of a monitor script (not built for the built-in check, which needs none) */
  env: () => NodeJS.ProcessEnv
  mondir: readonly string[]
  timeoutMs: number
  /** told the pid of a monitor script once it runs (`list pids`) */
  onSpawn?: (pid: number) => void
}

export async function runMonitor(call: MonitorCall): Promise<MonitorResult> {
  const { name, noHosts } = call.monitor
  const args = [...call.monitor.args, ...(noHosts ? [] : call.hosts)]
  if (name === 'tcp.monitor') return withDeadline(tcpMonitor(args), call)
  const script = findExecutable(name, call.mondir)
  if (!script) throw new HaloError(5, `monitor ${name} not found in ${call.mondir.join(':')}`)
  const r = await run([script, ...args], { env: call.env(), timeout: call.timeoutMs, mergeStderr: true, processGroup: true, onSpawn: call.onSpawn })
  if (r.timedOut) return timedOut(call, r.stdout)
  // A monitor killed by a signal has said nothing about the service: a failure (mon would read 0)
  return { exitval: r.code ?? 128 + signalNumber(r.signal), output: r.stdout, timedOut: false }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const os = process.getBuiltinModule('node:os') as typeof import('node:os')
  return (signal && os.constants.signals[signal]) || 0
}

/** The failure a hung monitor reports: its hosts as the summary, the limit in the detail. */
function timedOut(call: MonitorCall, said: string): MonitorResult {
  const summary = !call.monitor.noHosts && call.hosts.length ? call.hosts.join(' ') : 'monitor timed out'
  const output = `${summary}\n\n${call.monitor.name} timed out after ${call.timeoutMs} ms\n${said}`
  return { exitval: 1, output, timedOut: true }
}

/** The built-in check under the same limit as a script. */
function withDeadline(check: Promise<MonitorResult>, call: MonitorCall): Promise<MonitorResult> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<MonitorResult>((resolve) => {
    timer = setTimeout(() => resolve(timedOut(call, '')), call.timeoutMs)
  })
  return Promise.race([check, limit]).finally(() => clearTimeout(timer))
}
