/**
 * mon's command line, read as mon's Getopt::Long reads it: `-c FILE`, `-c=FILE`, `--configfile FILE`,
 * `-configfile=FILE`; no bundling (`-fd` is not `-f -d`); -M and -l take their value only when one follows.
 * Options that tune what halo does not have (mon's process cap, traps) are accepted,
 * so an existing unit file keeps working, and noted for the log.
 */
import { UsageError } from '../lib/errors.ts'
import { monCfTime, parseDuration } from '../lib/time.ts'
import type { Overrides } from './config/load.ts'

export interface Flags {
  config?: string
  fork: boolean
  debug: boolean
  stopped: boolean
  help: boolean
  version: boolean
  /** -l: the saved states to load at the start (mon's default: disabled) */
  loadState?: string[]
  /** -i: mon's loop tick, ms */
  tick?: number
  over: Overrides
  /** what was accepted but means nothing to halo, for the log */
  notes: string[]
}

type Kind = 'flag' | 'value' | 'optional'
const spec: Record<string, [long: string, kind: Kind]> = {
  A: ['authfile', 'value'], B: ['cfbasedir', 'value'], D: ['statedir', 'value'], L: ['logdir', 'value'], M: ['m4', 'optional'],
  O: ['syslogfacility', 'value'], P: ['pidfile', 'value'], S: ['stopped', 'flag'], a: ['alertdir', 'value'], b: ['basedir', 'value'],
  c: ['configfile', 'value'], d: ['debug', 'flag'], f: ['fork', 'flag'], h: ['help', 'flag'], i: ['sleep', 'value'],
  k: ['maxkeep', 'value'], l: ['loadstate', 'optional'], m: ['maxprocs', 'value'], p: ['port', 'value'], r: ['randstart', 'value'],
  s: ['scriptdir', 'value'], t: ['trapport', 'value'], v: ['version', 'flag'],
}
const byLong = new Map(Object.entries(spec).map(([short, [long]]) => [long, short]))

/** what mon saves in statedir and -l loads */
export const states = ['disabled', 'opstatus', 'all']

const dirs = (v: string) => v.split(':').filter(Boolean)

function whole(opt: string, v: string, min: number, max: number): number {
  const n = Number(v)
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`-${opt} ${v}: write a whole number, ${min}-${max}`)
  return n
}

export function parseOptions(argv: readonly string[]): Flags {
  const flags: Flags = { fork: false, debug: false, stopped: false, help: false, version: false, over: {}, notes: [] }
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(argv[i])
    if (!m) throw new UsageError(`unexpected argument '${argv[i]}': mon.cf is given with -c`)
    const short = m[1].length === 1 ? m[1] : byLong.get(m[1])
    if (!short || !spec[short]) throw new UsageError(`unknown option ${argv[i]}`)
    const [, kind] = spec[short]
    let value = m[2]
    if (kind === 'flag' && value !== undefined) throw new UsageError(`-${short} takes no value`)
    if (kind === 'value' && value === undefined) {
      if (argv[i + 1] === undefined) throw new UsageError(`-${short} needs a value`)
      value = argv[++i]
    }
    if (kind === 'optional' && value === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) value = argv[++i]
    apply(flags, short, value ?? '')
  }
  return flags
}

function apply(flags: Flags, opt: string, v: string): void {
  const over = flags.over
  switch (opt) {
    case 'f': flags.fork = true; break
    case 'd': flags.debug = true; break
    case 'S': flags.stopped = true; break
    case 'h': flags.help = true; break
    case 'v': flags.version = true; break
    case 'c': flags.config = v; break
    case 'a': over.alertdir = dirs(v); break
    case 's': over.mondir = dirs(v); break
    case 'b': over.basedir = v; break
    case 'B': over.cfbasedir = v; break
    case 'L': over.logdir = v; break
    case 'D': over.statedir = v; break
    case 'A': over.authfile = v; break
    // an empty -P means no pid file, as in mon
    case 'P': over.pidfile = v; break
    case 'O': over.syslogFacility = v; break
    case 'p': over.serverport = whole(opt, v, 1, 65535); break
    case 'k': over.histlength = whole(opt, v, 1, 1_000_000); break
    case 'M': over.m4 = v || 'm4'; break
    case 'l':
      flags.loadState = v ? v.split(/\s+/) : ['disabled']
      for (const state of flags.loadState) if (!states.includes(state)) throw new UsageError(`-l ${v}: write ${states.join(', ')}`)
      break
    case 'r': {
      const ms = parseDuration(v, monCfTime)
      if (ms === undefined) throw new UsageError(`-r ${v}: write a time with its unit, e.g. 30s`)
      over.randstart = ms
      break
    }
    case 'i': {
      // mon takes any number of seconds here
      const s = Number(v)
      if (!/^\d*\.?\d+$/.test(v) || s <= 0) throw new UsageError(`-i ${v}: write mon's loop tick in seconds, e.g. 1`)
      flags.tick = s * 1000
      break
    }
    case 'm': flags.notes.push('-m (maxprocs) is ignored: each service runs at most one monitor at a time'); break
    case 't': flags.notes.push('-t (trapport) is ignored: halo-mon receives no traps'); break
  }
}
