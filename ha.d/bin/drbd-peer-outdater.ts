/**
 * drbd-peer-outdater: DRBD's fence-peer handler on a halo cluster, in place of Heartbeat's dopd and its
 * drbd-peer-outdater (same options, same exit codes). In drbd.conf:
 *   fencing resource-only;  handlers { fence-peer "/usr/lib/halo/bin/drbd-peer-outdater -t 5"; }
 * It asks the local halo-heartbeat (its control socket) to have the peer outdate the resource over the
 * heartbeat link, and exits with what DRBD expects: 3 the peer's disk is Inconsistent, 4 the peer is
 * outdated, 5 the peer is unreachable (also when no engine answers, as dopd), 6 the peer is Primary and
 * refused, 7 the peer was fenced; 20 a living peer did not answer in time; 1 a bad command line.
 *   -t SECONDS  answer within this time (default 60, as dopd)   -r RES  the resource (else $DRBD_RESOURCE)
 *   -p PEER     DRBD's peer (else $DRBD_PEER, $DRBD_PEERS, or $DRBD_NODE_ID_<$DRBD_PEER_NODE_ID> of DRBD 9)
 *   -V, -d      accepted, as dopd's debug flags   -h  this help
 */
import { isDrbdResourceName } from '../../lib/drbd.ts'
import { UsageError } from '../../lib/errors.ts'
import { runCli } from '../../lib/cli.ts'
import { ask, controlSocket } from '../control.ts'

const NAME = 'drbd-peer-outdater'
const usage = `usage: ${NAME} [-t SECONDS] [-r RESOURCE] [-p PEER]   (DRBD's fence-peer handler; resource and peer default to DRBD's $DRBD_RESOURCE, $DRBD_PEER…)`
/** dopd's default */
const DEFAULT_TIMEOUT_S = 60
const UNREACHABLE = 5
const UNKNOWN = 20

interface Options {
  timeoutS: number
  resource?: string
  peer?: string
}

/** getopt("hVdt:p:r:"), as dopd's: `-t 5` and `-t5` alike. */
function parse(argv: readonly string[]): Options | 'help' {
  const o: Options = { timeoutS: DEFAULT_TIMEOUT_S }
  for (let i = 0; i < argv.length; i++) {
    const m = /^-([hVdtpr])(.*)$/.exec(argv[i])
    if (!m) throw new UsageError(`unexpected argument "${argv[i]}"`, 1)
    const [, flag, rest] = m
    if (flag === 'h') return 'help'
    if (flag === 'V' || flag === 'd') continue
    const value = rest || argv[++i]
    if (value === undefined) throw new UsageError(`-${flag} needs a value`, 1)
    if (flag === 'r') o.resource = value
    else if (flag === 'p') o.peer = value
    else if (/^\d+$/.test(value) && Number(value) > 0) o.timeoutS = Number(value)
    else throw new UsageError(`-t ${value}: give the timeout in whole seconds`, 1)
  }
  return o
}

/** DRBD 8.4 names the peer in DRBD_PEER (and DRBD_PEERS); 9 by node-id, with a name for each id. */
function drbdPeer(env: NodeJS.ProcessEnv): string | undefined {
  const byId = env.DRBD_PEER_NODE_ID === undefined ? undefined : env[`DRBD_NODE_ID_${env.DRBD_PEER_NODE_ID}`]
  return env.DRBD_PEER || env.DRBD_PEERS?.trim().split(/\s+/)[0] || byId || undefined
}

async function main(argv: string[]): Promise<number> {
  const o = parse(argv)
  if (o === 'help') {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const resource = o.resource ?? process.env.DRBD_RESOURCE
  if (!resource) throw new UsageError('no resource: give -r RESOURCE, or run me as DRBD\'s fence-peer handler (it sets DRBD_RESOURCE)', 1)
  if (!isDrbdResourceName(resource)) throw new UsageError(`"${resource}" is not a DRBD resource name`, 1)
  const budget = o.timeoutS * 1000
  // the engine's wait ends first, so its answer (20 for a silent peer) arrives before our own deadline
  const request = { op: 'outdate' as const, resource, timeoutMs: Math.max(budget * 0.8, budget - 500), peer: o.peer ?? drbdPeer(process.env) }
  const say = (code: number, why: string) => {
    process.stderr.write(`${NAME}: ${resource}: ${why} (${code})\n`)
    return code
  }
  const answer = await ask(request, controlSocket(), budget).catch((e: Error) => e)
  if (answer instanceof Error) return say(UNREACHABLE, `${answer.message}; answering as for an unreachable peer`)
  if (answer === undefined) return say(UNREACHABLE, `no halo-heartbeat answers on ${controlSocket()}; answering as for an unreachable peer`)
  if (!answer.ok) return say(UNKNOWN, answer.error)
  return say(answer.code ?? UNKNOWN, answer.message ?? 'no code in the engine\'s answer')
}

runCli(NAME, main, usage)
