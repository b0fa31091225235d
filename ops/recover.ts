/**
 * `halo restart RESOURCE` and `halo cleanup [RESOURCE]`: local recovery by hand. restart stops the resource
 * and what follows it in its group, then starts them again, on this node (no failure counted); cleanup
 * forgets the failures counted (of one resource, or of all), as crm_resource --cleanup does.
 */
import type { Command } from '../lib/cli.ts'
import { HaloError, UsageError } from '../lib/errors.ts'
import { type RecoveryRequest, ask, controlSocket } from '../ha.d/control.ts'

/** Asks the engine; the exit code 0 when it did it, else a HaloError with the engine's reason. */
export async function recovery(request: RecoveryRequest, timeoutS: number, write = (s: string) => void process.stdout.write(s)): Promise<number> {
  if (!(timeoutS > 0)) throw new UsageError(`--timeout ${timeoutS}: give seconds, more than 0`)
  const answer = await ask(request, controlSocket(), timeoutS * 1000)
  if (!answer) throw new HaloError(3, `no halo-heartbeat runs on this node (nothing answers on ${controlSocket()})`)
  if (!answer.ok) throw new HaloError(1, answer.error)
  write(`${answer.message ?? 'done'}\n`)
  return 0
}

const timeout = { type: 'number', default: 300, describe: 'seconds to wait for the engine (a restart lasts as long as the stops and starts)' } as const

export const restartCommand: Command = (cli, exit) =>
  cli.command(
    'restart <resource>',
    'restart a resource in place on this node, with those after it in its group (stopped right to left, started left to right); no failure is counted. The disk and the VIP are moved with hb_standby, not restarted',
    (y) => y.positional('resource', { type: 'string', demandOption: true, describe: 'as haresources names it: appserver, mysql, or in full (IPaddr::10.0.0.5/24)' }).option('timeout', timeout),
    async (a) => exit(await recovery({ op: 'restart', resource: a.resource }, a.timeout)),
  )

export const cleanupCommand: Command = (cli, exit) =>
  cli.command(
    'cleanup [resource]',
    'forget the failures the engine counted for a resource (all of them without one), so its restarts in place start again from migration-threshold',
    (y) => y.positional('resource', { type: 'string', describe: 'as haresources names it; all resources when left out' }).option('timeout', { ...timeout, default: 5 }),
    async (a) => exit(await recovery(a.resource === undefined ? { op: 'cleanup' } : { op: 'cleanup', resource: a.resource }, a.timeout)),
  )
