/** Runs a built agent (dist/agents/NAME) the way Pacemaker or Heartbeat would. */
import { fileURLToPath } from 'node:url'
import { mkdir, symlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Test } from 'tap'
import { atEnd, uniqueName } from './cleanup.ts'
import { run, type RunResult } from '../../lib/exec.ts'
import { inNetns } from './netns.ts'

export const agentPath = (name: string): string => fileURLToPath(new URL(`../../dist/agents/${name}`, import.meta.url))

export interface AgentCall {
  /** OCF_RESKEY_* parameters */
  params?: Record<string, string>
  /** extra environment (OCF_CHECK_LEVEL, CRM meta...) */
  env?: Record<string, string>
  netns?: string
  timeout?: number
}

const base = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' }

/** OCF door: `agent ACTION` with OCF_ROOT and OCF_RESKEY_* set, as Pacemaker does. */
export function ocf(name: string, action: string, call: AgentCall = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...base, OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: name, ...call.env }
  for (const [k, v] of Object.entries(call.params ?? {})) env[`OCF_RESKEY_${k}`] = v
  const argv = [agentPath(name), action]
  return run(call.netns ? inNetns(call.netns, argv) : argv, { env, timeout: call.timeout ?? 60_000 })
}

/** Heartbeat v1 door: `agent arg1 arg2 … ACTION`, no OCF environment. */
export function v1(name: string, args: readonly string[], action: string, call: Omit<AgentCall, 'params'> = {}): Promise<RunResult> {
  const argv = [agentPath(name), ...args, action]
  return run(call.netns ? inNetns(call.netns, argv) : argv, { env: { ...base, ...call.env }, timeout: call.timeout ?? 60_000 })
}

/**
 * An OCF provider for this test only, /usr/lib/ocf/resource.d/<unique> → dist/agents, so crm_resource
 * (which looks only there) runs the agents just built, never the installed ones. Returns the provider name.
 */
export async function ocfProvider(t: Test): Promise<string> {
  const provider = uniqueName('halot')
  const link = `/usr/lib/ocf/resource.d/${provider}`
  await mkdir('/usr/lib/ocf/resource.d', { recursive: true })
  await symlink(dirname(agentPath('x')), link)
  atEnd(t, ['rm', '-f', link])
  return provider
}

/** `ocf-tester -v` on a built agent with these parameters (inside `netns` if given); asserts it passes. */
export async function ocfTester(t: Test, name: string, params: Record<string, string>, opts: { netns?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const argv = ['ocf-tester', '-v', '-n', uniqueName('rsc'), ...Object.entries(params).flatMap(([k, v]) => ['-o', `${k}=${v}`]), agentPath(name)]
  const r = await run(opts.netns ? inNetns(opts.netns, argv) : argv, { env: opts.env, timeout: 120_000 })
  t.equal(r.code, 0, `ocf-tester: ${r.stdout.split('\n').slice(-15).join('\n')}${r.stderr}`)
  t.match(r.stdout, new RegExp(`${name} passed all tests`))
}

/**
 * crm_resource on a built agent, through a provider of this test's own: `crm('--force-start')`. The
 * parameters go as --option; more may follow the operation (`crm('--force-start', '--option', 'nic=eth9')`).
 */
export async function crmResource(t: Test, name: string, params: Record<string, string>, opts: { netns?: string; env?: NodeJS.ProcessEnv } = {}) {
  const provider = await ocfProvider(t)
  const options = Object.entries(params).flatMap(([k, v]) => ['--option', `${k}=${v}`])
  return (...op: string[]): Promise<RunResult> => {
    const argv = ['crm_resource', ...op, '--class', 'ocf', '--provider', provider, '--agent', name, ...options]
    return run(opts.netns ? inNetns(opts.netns, argv) : argv, { env: opts.env, timeout: 60_000 })
  }
}

/**
 * crm_resource's life cycle of an agent: start, check (at `check`'s depth), stop, check again, each with the
 * code Pacemaker expects; `started` and `stopped` assert the agent's effect on the node in between.
 */
export async function crmLifecycle(
  t: Test,
  crm: (...op: string[]) => Promise<RunResult>,
  steps: { check?: string; started?: () => unknown; stopped?: () => unknown } = {},
): Promise<void> {
  const expect = async (op: string, code: number, what: string) => {
    const r = await crm(op)
    t.equal(r.code, code, `${what}${r.code === code ? '' : `: ${r.stdout}${r.stderr}`}`)
  }
  await expect('--force-start', 0, 'start')
  await steps.started?.()
  await expect(steps.check ?? '--force-check', 0, 'check: running')
  await expect('--force-stop', 0, 'stop')
  await steps.stopped?.()
  await expect('--force-check', 7, 'check: stopped (crm_resource passes 7 on)')
}
