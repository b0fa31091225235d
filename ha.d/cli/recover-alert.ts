/**
 * halo-recover.alert: the mon alert that asks the engine to recover a failed resource under its failure
 * policy (/etc/ha.d/recovery.cf: restart in place, or fail the group over), where admins used
 * ha-down.alert (hb_standby all). The program is halo-recover-alert, linked by that name into mon's
 * alert.d: node refuses to load a file ending in `.alert` when a loader is set (NODE_OPTIONS=--import),
 * and a link's target is what it loads. mon.cf: `alert halo-recover.alert [RESOURCE]`, the resource by its
 * haresources name (appserver, mysqld…), the service's name when none is given.
 * mon runs it as `ALERT -s SVC -g GROUP -h "HOSTS" -t EPOCH [-u|-a|-D|-T|-O] args…` with the monitor's
 * output on stdin (reference/mon.md); only a failure is acted on: an upalert, an ack or a disable is not
 * a failure, and recovering then would restart a service that answers.
 */
import { Logger, ocfLogSinks } from '../../lib/log.ts'
import { HaloError, UsageError } from '../../lib/errors.ts'
import { ask, controlSocket } from '../control.ts'

export const NAME = 'halo-recover.alert'
export const usage = `usage: ${NAME} -s SERVICE -g GROUP -h HOSTS -t TIME [-u|-a|-D|-T|-O] [RESOURCE]
  mon's alert: asks the heartbeat engine to recover RESOURCE (default: the service's name) under its
  failure policy (/etc/ha.d/recovery.cf); does nothing on an upalert (-u), an ack (-a) or a disable (-D)`

/** what mon's alert flags say this call is */
const KINDS: Record<string, string> = { u: 'up', a: 'ack', D: 'disable', T: 'trap', O: 'traptimeout' }
/** not a failure: nothing to recover */
const NOT_FAILURES = new Set(['up', 'ack', 'disable'])
const VALUED = new Set(['s', 'g', 'h', 't'])
/**
 * The engine answers once the restart is done (stop and start of the resource and those after it, each
 * bounded by the engine's agent timeouts): mon does not wait for its alerts, so this may wait as long.
 */
const ANSWER_MS = 300_000

export interface AlertArgs {
  service: string
  group: string
  hosts: string
  time: string
  /** failure, up, ack, disable, trap, traptimeout */
  kind: string
  resource: string
}

/** mon's alert argv (without the program) → what it says; a clear UsageError naming the bad part */
export function parseAlertArgs(argv: readonly string[]): AlertArgs {
  const values: Record<string, string> = {}
  let kind = 'failure'
  let i = 0
  for (; i < argv.length && /^-./.test(argv[i]); i++) {
    const flag = argv[i].slice(1)
    if (VALUED.has(flag)) {
      if (i + 1 >= argv.length) throw new UsageError(`option -${flag} needs a value`, 1)
      values[flag] = argv[++i]
    } else if (KINDS[flag]) kind = KINDS[flag]
    else throw new UsageError(`unknown option ${argv[i]} (mon passes -s -g -h -t and -u -a -D -T -O)`, 1)
  }
  const rest = argv.slice(i)
  if (rest.length > 1) throw new UsageError(`one resource at most, got ${rest.length}: ${rest.join(' ')}`, 1)
  const service = values.s ?? ''
  if (!service) throw new UsageError('no service (-s): mon names the failed service', 1)
  const resource = rest[0] ?? service
  if (!/^[^\s:/][^\s:]*$/.test(resource)) throw new UsageError(`resource ${JSON.stringify(resource)}: a haresources name such as appserver or mysqld`, 1)
  return { service, group: values.g ?? '', hosts: values.h ?? '', time: values.t ?? '', kind, resource }
}

/** the failure's summary: the first line of the monitor's output (mon's summary), else mon's variable */
export function summaryOf(output: string, env: NodeJS.ProcessEnv): string {
  const first = output.split('\n').find((l) => l.trim() !== '')?.trim()
  return (first ?? env.MON_LAST_SUMMARY ?? '').slice(0, 160)
}

/** mon's output on stdin, read to its end (mon closes it), bounded: a terminal or a pipe left open gives '' */
function readStdin(limitMs = 2000, maxBytes = 64 * 1024): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve('')
  return new Promise((resolve) => {
    let text = ''
    const done = () => {
      clearTimeout(timer)
      process.stdin.removeAllListeners().pause()
      process.stdin.unref?.()
      resolve(text)
    }
    const timer = setTimeout(done, limitMs)
    process.stdin.setEncoding('utf8')
    process.stdin.on('data', (d: string) => {
      if (text.length < maxBytes) text += d.slice(0, maxBytes - text.length)
    })
    process.stdin.once('end', done)
    process.stdin.once('error', done)
  })
}

/**
 * Two services that watch one resource (the application server's two ports) alert for one crash: the
 * failure the engine counted after this service began failing (mon's MON_FIRST_FAILURE, in seconds) is
 * this outage's, and another would count it twice (and restart the server again, or move the group).
 * Its time, if so.
 */
async function countedSince(resource: string, firstFailure: string | undefined, socket: string): Promise<string | undefined> {
  if (!firstFailure || !/^\d+$/.test(firstFailure) || firstFailure === '0') return undefined
  const answer = await ask({ op: 'status' }, socket).catch(() => undefined)
  if (!answer?.ok) return undefined
  const mine = answer.status?.failures?.find((f) => f.resource === resource || f.resource.startsWith(`${resource}::`))
  const last = mine?.failures.at(-1)
  return last !== undefined && Date.parse(last) >= Number(firstFailure) * 1000 ? last : undefined
}

export async function recoverAlert(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const a = parseAlertArgs(argv)
  const output = await readStdin()
  const sinks = ocfLogSinks(NAME, env)
  // mon logs its alerts to syslog: so does this one, unless the engine gave it ha.cf's log (HA_LOGFILE)
  const log = new Logger({ ...sinks, facility: sinks.facility ?? (sinks.file ? undefined : 'daemon'), stderr: false })
  try {
    if (NOT_FAILURES.has(a.kind)) {
      log.info(`${a.group}/${a.service}: ${a.kind} alert, nothing to recover`)
      return 0
    }
    const socket = controlSocket(env)
    const counted = async () => {
      const at = await countedSince(a.resource, env.MON_FIRST_FAILURE, socket)
      if (at === undefined) return false
      const said = `${a.resource} is already being recovered from this outage (a failure counted at ${at}, after ${a.service} began failing)`
      log.info(`${a.group}/${a.service}: ${said}`)
      process.stdout.write(`${said}\n`)
      return true
    }
    if (await counted()) return 0
    const summary = summaryOf(output, env)
    // from mon's own arguments: its process (halo-mon, or mon's perl) names nothing more
    const by = `${NAME} (mon alert for ${a.group}/${a.service}${summary ? `: ${summary}` : ''})`
    log.info(`${a.group}/${a.service} failed${summary ? ` (${summary})` : ''}: asking the engine to recover ${a.resource}`)
    const answer = await ask({ op: 'recover', resource: a.resource, by }, socket, ANSWER_MS).catch((e: unknown) => {
      throw e instanceof HaloError ? new HaloError(1, `cannot recover ${a.resource}: ${e.message}`) : e
    })
    if (answer === undefined) throw new HaloError(1, `cannot recover ${a.resource}: no heartbeat engine answers on ${socket}`)
    // refused (an unknown resource, a transition under way), or a restart that failed and moved the group
    // the other service's alert of the same outage came first and its restart is under way
    if (!answer.ok && (await counted())) return 0
    if (!answer.ok) throw new HaloError(1, answer.error)
    const said = answer.message ?? `recovering ${a.resource}`
    log.info(`${a.group}/${a.service}: ${said}`)
    process.stdout.write(`${said}\n`)
    return 0
  } catch (e) {
    if (e instanceof HaloError) log.err(`${a.group}/${a.service}: ${e.message}`)
    throw e
  } finally {
    await log.close()
  }
}
