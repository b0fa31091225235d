/**
 * hb_standby and hb_takeover: ask the running engine to give up (standby) or take (takeover) a set of
 * resource groups. When no halo engine runs, a running Heartbeat is asked through its FIFO, so the
 * command also serves a node not yet migrated. Never blocks for long, never creates a file.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
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

  const answer = await ask(kind === 'standby' ? { op: kind, set, by: asker(name) } : { op: kind, set })
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

/** interpreters whose script, not themselves, is what ran us */
const INTERPRETERS = /^(ba|da|k|z)?sh$|^perl|^python|^node$/

/**
 * Who asks, for the event history: this command, the program or script that ran it (its name only: its
 * arguments may hold anything), and what halo-mon saw when it is one of its alerts (mon's MON_* variables).
 */
export function asker(name: string, env: NodeJS.ProcessEnv = process.env, ppid = process.ppid): string {
  let by = name
  const parent = parentProgram(ppid)
  if (parent) by += ` run by ${parent}`
  if (env.MON_SERVICE) {
    const saw = env.MON_LAST_SUMMARY ? `: ${env.MON_LAST_SUMMARY.slice(0, 160)}` : ''
    by += ` (halo-mon alert for ${env.MON_GROUP ?? '?'}/${env.MON_SERVICE}${saw})`
  }
  return by
}

function parentProgram(ppid: number): string | undefined {
  let argv: string[]
  try {
    argv = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return undefined
  }
  const program = basename(argv[0] ?? '')
  // `sh -c WORDS`: the words are no name, and may hold anything
  if (!INTERPRETERS.test(program) || argv.includes('-c')) return program || undefined
  const script = argv.slice(1).find((a) => !a.startsWith('-'))
  return script ? basename(script) : program
}
