/**
 * hb_standby and hb_takeover: ask the running engine to give up (standby) or take (takeover) a set of
 * resource groups. When no halo engine runs, a running Heartbeat is asked through its FIFO, so the
 * command also serves a node not yet migrated. Never blocks for long, never creates a file.
 */
import { HaloError, UsageError } from '../../lib/errors.ts'
import { ask, controlSocket, legacyFifo, writeFifo, type ResourceSet } from '../control.ts'

const sets = ['all', 'foreign', 'local', 'failback'] as const

export function usage(name: string): string {
  return `usage: ${name} [all|foreign|local|failback]   (default all; failback means foreign)`
}

export async function askResources(kind: 'standby' | 'takeover', argv: readonly string[]): Promise<number> {
  const name = kind === 'standby' ? 'hb_standby' : 'hb_takeover'
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage(name)}\n`)
    return 0
  }
  if (argv.length > 1) throw new UsageError('too many arguments', 1)
  const word = argv[0] ?? 'all'
  if (!(sets as readonly string[]).includes(word)) throw new UsageError(`wrong resources (${word})`, 1)
  const set: ResourceSet = word === 'failback' ? 'foreign' : (word as ResourceSet)

  const answer = await ask({ op: kind, set })
  if (answer === undefined) {
    const fields: Record<string, string> = kind === 'standby' ? { t: 'ask_resources', rsc_hold: set, info: 'me' } : { t: 'hb_takeover', rsc_hold: set }
    if (writeFifo(legacyFifo(), fields)) {
      process.stdout.write(`${name}: asked heartbeat through ${legacyFifo()} (${kind} [${set}])\n`)
      return 0
    }
    throw new HaloError(1, `no heartbeat runs on this node: nothing answers on ${controlSocket()} and nothing reads ${legacyFifo()}`)
  }
  if (!answer.ok) throw new HaloError(1, answer.error)
  if (answer.message) process.stdout.write(`${answer.message}\n`)
  return 0
}
