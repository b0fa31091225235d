/**
 * halo-heartbeat: the engine daemon, with Heartbeat's command line.
 *   -f foreground   -c DIR config dir (/etc/ha.d)   -d debug   -k stop the running engine
 *   -s status (rc 0 running, 3 stopped)   -r reload   -V version
 * Environment (not ha.cf, which a real Heartbeat peer must still accept):
 *   HALO_STOP_FAILURE=reboot|exit|log  what to do when a resource cannot be stopped (default reboot)
 *   HALO_STOP_TRIES=N (10), HALO_STOP_RETRY=TIME (1s)  how a failing stop is retried first
 *   HALO_VARLIB=DIR (/var/lib/halo)  where the event history is kept (history.jsonl)
 *   HALO_METRICS=ADDRESS:PORT, HALO_METRICS_TOKEN_FILE=PATH  the metrics endpoint and status page (off without)
 *   HALO_METRICS_MON=ADDRESS:PORT  where the metrics ask halo-mon for its services (default 127.0.0.1:2583);
 *   DRBD's states are read as drbddisk reads them (HA_DRBDADM, HA_DRBDCONF, HA_PROC_DRBD)
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { HaloError, UsageError, errorMessage, throwConfigErrors } from '../../lib/errors.ts'
import { spawnDetached } from '../../lib/exec.ts'
import { runCli } from '../../lib/cli.ts'
import { Logger } from '../../lib/log.ts'
import { waitForExit } from '../../lib/process.ts'
import { haCfTime, parseDuration } from '../../lib/time.ts'
import { ask, controlSocket, legacyFifo } from '../control.ts'
import { Engine, VERSION, type EngineOptions } from '../engine.ts'
import { Fencing } from '../fencing.ts'
import { Journal, historyPath } from '../history.ts'
import { checkHost } from '../host-checks.ts'
import type { LastResort } from '../resources.ts'
import { metricsListen, metricsMon } from '../metrics/listen.ts'
import { nodeReaders } from '../metrics/probes.ts'
import { loadSettings, scriptEnvironment } from '../settings.ts'

const usage = 'usage: halo-heartbeat [-f] [-d] [-c CONFDIR] | -k | -s | -r | -V'
/** A shutdown stops every group, each stop retried for up to 10 s: give it that long per group. */
const STOP_WAIT_MS = 600_000

interface Flags {
  foreground: boolean
  debug: boolean
  confDir: string
  action: 'run' | 'kill' | 'status' | 'reload' | 'version'
}

function parse(argv: readonly string[]): Flags {
  const flags: Flags = { foreground: false, debug: false, confDir: '/etc/ha.d', action: 'run' }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '-f') flags.foreground = true
    else if (a === '-d') flags.debug = true
    else if (a === '-c') flags.confDir = argv[++i] ?? ''
    else if (a === '-k') flags.action = 'kill'
    else if (a === '-s') flags.action = 'status'
    else if (a === '-r') flags.action = 'reload'
    else if (a === '-V') flags.action = 'version'
    else throw new UsageError(`unknown option ${a}`)
  }
  if (flags.confDir === '') throw new UsageError('-c needs a directory')
  return flags
}

/** `uname -n` lowercased, unless /etc/ha.d/nodeinfo names the node, as Heartbeat. */
async function main(argv: string[]): Promise<number> {
  const flags = parse(argv)
  switch (flags.action) {
    case 'version':
      process.stdout.write(`${VERSION}\n`)
      return 0
    case 'status': {
      const a = await ask({ op: 'status' })
      if (!a?.ok || !a.status) {
        process.stdout.write('halo-heartbeat is stopped. No process\n')
        return 3
      }
      const s = a.status
      process.stdout.write(`halo-heartbeat OK [pid ${s.pid} et al] is running on ${s.node} [${s.node}]...\n`)
      return 0
    }
    case 'reload': {
      const a = await ask({ op: 'reload' })
      if (!a) throw new HaloError(3, 'no halo-heartbeat is running')
      if (!a.ok) throw new HaloError(1, a.error)
      process.stdout.write(`${a.message}\n`)
      return 0
    }
    case 'kill':
      return stop()
    case 'run':
      return flags.foreground ? run(flags) : daemonize(argv)
  }
}

async function stop(): Promise<number> {
  const status = await ask({ op: 'status' })
  if (!status?.ok || !status.status?.pid) {
    process.stdout.write('halo-heartbeat is not running\n')
    return 0
  }
  await ask({ op: 'shutdown' })
  if (!(await waitForExit([status.status.pid], performance.now() + STOP_WAIT_MS, 50))) {
    throw new HaloError(1, `halo-heartbeat (pid ${status.status.pid}) did not exit within ${STOP_WAIT_MS / 1000} s`)
  }
  return 0
}

/** Without -f: start the engine in the background and return once it answers, or fail with its reason. */
async function daemonize(argv: readonly string[]): Promise<number> {
  if (await ask({ op: 'status' })) throw new HaloError(1, 'halo-heartbeat is already running')
  const pid = spawnDetached([process.execPath, ...process.execArgv, process.argv[1], '-f', ...argv])
  const deadline = performance.now() + 30_000
  while (performance.now() < deadline) {
    if (await ask({ op: 'status' }).catch(() => undefined)) return 0
    if (await waitForExit([pid], performance.now() + 100)) throw new HaloError(6, 'halo-heartbeat exited at startup; run it with -f to see why')
  }
  throw new HaloError(1, 'halo-heartbeat did not come up within 30 s')
}

/** The HALO_STOP_* knobs, checked before anything starts: a typo is an error, not a silent reboot. */
function stopFailure(env: NodeJS.ProcessEnv, exit: (why: string) => void): EngineOptions['stopFailure'] {
  const resort = env.HALO_STOP_FAILURE ?? 'reboot'
  if (!['reboot', 'exit', 'log'].includes(resort)) throw new HaloError(6, `HALO_STOP_FAILURE=${resort}: use reboot, exit or log`)
  const tries = Number(env.HALO_STOP_TRIES ?? '10')
  if (!Number.isInteger(tries) || tries < 1) throw new HaloError(6, `HALO_STOP_TRIES=${env.HALO_STOP_TRIES}: use a whole number from 1`)
  const retry = env.HALO_STOP_RETRY === undefined ? 1000 : parseDuration(env.HALO_STOP_RETRY, haCfTime)
  if (retry === undefined) throw new HaloError(6, `HALO_STOP_RETRY=${env.HALO_STOP_RETRY}: use a time such as 1 or 200ms`)
  return { lastResort: resort as LastResort, stopTries: tries, stopRetryMs: retry, onGiveUp: exit }
}

async function run(flags: Flags): Promise<number> {
  // the exit last resort: gone at once, without a shutdone, so the peer takes over after deadtime as after a crash
  const onStopFailure = stopFailure(process.env, () => void log.close().finally(() => process.exit(1)))
  const metrics = metricsListen(process.env)
  const monAt = metrics && metricsMon(process.env)
  const { config, hacf, fencing: fencingConfig, logSinks, warnings } = loadSettings(flags.confDir)
  const log = new Logger({ ...logSinks, debug: flags.debug || logSinks.debug })
  for (const w of warnings) log.warn(w)
  // what Heartbeat checks of this host as it reads ha.cf: each refusal in the log too, where the admin looks
  const host = await checkHost(hacf)
  for (const w of host.warnings) log.warn(w)
  if (host.errors.length > 0) {
    for (const e of host.errors) log.err(e.message)
    await log.close()
    throwConfigErrors(host.errors)
  }
  if (await ask({ op: 'status' })) throw new HaloError(1, 'halo-heartbeat is already running')
  // a wrong stonith line stops the start, as in Heartbeat: said in the log too, where the admin looks
  mkdirSync(dirname(controlSocket()), { recursive: true, mode: 0o755 })
  const fencing = await Fencing.open(fencingConfig, log, dirname(controlSocket())).catch(async (e: unknown) => {
    log.err(errorMessage(e))
    await log.close()
    throw e
  })
  const env = scriptEnvironment({ config, logSinks }, flags.confDir)
  const engine = new Engine(config, {
    stateDir: process.env.HA_VARLIB ?? '/var/lib/heartbeat',
    controlSocket: controlSocket(),
    fifo: legacyFifo(),
    log,
    scriptEnv: env,
    scriptDirs: [`${flags.confDir}/resource.d`, '/etc/init.d'],
    rcDir: `${flags.confDir}/rc.d`,
    stopFailure: onStopFailure,
    fencing,
    metrics,
    metricsProbes: monAt && nodeReaders(monAt, env),
    clusterFiles: { confDir: flags.confDir, monCf: '/etc/mon/mon.cf', drbdDir: '/etc/drbd.d' },
    reloadConfig: () => loadSettings(flags.confDir).config,
    history: new Journal(historyPath(), { warn: (w) => log.warn(w) }),
  })
  const leave = () => void engine.shutdown()
  process.on('SIGTERM', leave)
  process.on('SIGINT', leave)
  await engine.start()
  await engine.done
  log.info('halo-heartbeat stopped')
  await log.close()
  return 0
}

runCli('halo-heartbeat', main, usage)
