/**
 * halo-mon: the monitor daemon, with mon's command line (./options.ts has them all):
 *   -c FILE mon.cf   -f fork into the background   -d debug (to stderr, not syslog)   -S start with the scheduler
 *   stopped   -a DIR alertdir   -s DIR mondir   -b DIR basedir   -B DIR cfbasedir   -L DIR logdir
 *   -D DIR statedir   -P FILE pidfile ('' none)   -p PORT   -O FACILITY syslog   -k N history kept
 *   -r TIME randstart   -l [disabled|opstatus|all] load the saved state   -M [M4] run mon.cf through m4
 *   -A FILE auth.cf (who may run which command; default cfbasedir/auth.cf)
 *   -i SECS mon's loop tick (1): the checks of services timed in mon's units start on it
 * Foreground unless -f. Logs to syslog (syslog_facility, default daemon) as mon does. SIGHUP reads mon.cf
 * again (as `reset keepstate`); SIGTERM and SIGINT stop it cleanly, however many arrive and in whatever order
 * (a stop signal to the whole process group kills the logger child too).
 */
import { rmSync } from 'node:fs'
import { writeFileAtomic } from '../../lib/atomic.ts'
import { errorMessage, HaloError } from '../../lib/errors.ts'
import { childProcess } from '../../lib/exec.ts'
import { runCli } from '../../lib/cli.ts'
import { Logger } from '../../lib/log.ts'
import { loadConfig, monCfPath } from '../config/load.ts'
import { Daemon } from '../daemon.ts'
import { type Flags, parseOptions } from '../options.ts'
import { serve } from '../server.ts'
import type { MonConfig } from '../types.ts'

const VERSION = 'halo-mon 0.1.0 (mon 1.3 compatible, protocol 9745)'
const usage = `usage: halo-mon [-f] [-d] [-S] [-c mon.cf] [-a alertdir] [-s mondir] [-b basedir] [-B cfbasedir] [-L logdir]
                [-D statedir] [-A authfile] [-P pidfile] [-p port] [-O facility] [-k histlength] [-r randstart]
                [-l [disabled|opstatus|all]] [-M [m4]] [-i secs] [-v] [-h]`

async function main(argv: string[]): Promise<number> {
  const flags = parseOptions(argv)
  if (flags.help) return print(usage)
  if (flags.version) return print(VERSION)
  const path = monCfPath(flags.config, flags.over)
  // Warnings of the first reading go to the admin who started it too, not only to syslog
  const said: string[] = []
  const config = await loadConfig(path, flags.over, (w) => said.push(w))
  for (const w of [...said, ...flags.notes]) process.stderr.write(`halo-mon: warning: ${w}\n`)
  if (flags.fork) return daemonize(argv.filter((a) => !/^--?f(ork)?$/.test(a)))

  // -d: everything, debug lines too, on stderr instead of syslog (where the warnings are already)
  const log = new Logger({ tag: 'halo-mon', facility: flags.debug ? 'none' : config.globals.syslogFacility, debug: flags.debug })
  if (!flags.debug) for (const w of [...said, ...flags.notes]) log.warn(w)
  // started by -f (./daemonize below): its parent waits for our word, whatever happens
  if (!process.send) return run(flags, path, log, config)
  return run(flags, path, log, config).catch(async (e: unknown) => {
    await tellParent({ failed: errorMessage(e), code: e instanceof HaloError ? e.exitCode : 1 })
    throw e
  })
}

/** What the daemon started by -f says to its parent: that it serves, or why it does not. */
type Word = { ready: true } | { failed: string; code: number }

function tellParent(word: Word): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve()
    process.send(word, undefined, {}, () => {
      process.disconnect()
      resolve()
    })
  })
}

const print = (text: string) => (process.stdout.write(`${text}\n`), 0)

async function run(flags: Flags, path: string, log: Logger, config: MonConfig): Promise<number> {
  const load = () => loadConfig(path, flags.over, (w) => log.warn(w))
  const daemon = new Daemon({ log, config, load, stopped: flags.stopped, loadState: flags.loadState, tick: flags.tick })
  const { serverbind, serverport, pidfile } = config.globals
  // written before the port answers, so whoever waits for the port (-f) finds the pid file there
  if (pidfile) writePidFile(pidfile)
  const server = await serve(daemon, serverbind, serverport).catch((e: Error) => {
    if (pidfile) rmSync(pidfile, { force: true })
    throw new HaloError(1, `cannot listen on ${serverbind}:${serverport}: ${e.message}`)
  })
  daemon.start()
  await tellParent({ ready: true })
  log.info(`halo-mon started, serving ${serverbind}:${serverport}, commands allowed by ${config.globals.auth.file}`)
  process.on('SIGHUP', () => {
    daemon.reset(true).catch((e: Error) => log.err(`reset: ${e.message}`))
  })
  await new Promise<void>((resolve) => {
    // kept for the whole stop: a second signal (Ctrl-C, then systemd's SIGTERM) finds the stop under way
    process.on('SIGTERM', () => resolve())
    process.on('SIGINT', () => resolve())
  })
  daemon.close()
  server.close()
  if (pidfile) rmSync(pidfile, { force: true })
  log.info('halo-mon stopped')
  await log.close()
  return 0
}

function writePidFile(path: string): void {
  try {
    // renamed into place: a link planted at the path is replaced, never followed
    writeFileAtomic(path, `${process.pid}\n`)
  } catch (e) {
    throw new HaloError(1, `cannot write the pid file ${path} (${errorMessage(e)}): create its directory or give another with -P`)
  }
}

/**
 * -f: the daemon runs in the background; we return 0 once it says it serves (its pid file written, its
 * port bound by itself, not by whoever else holds it), or fail with its reason.
 */
async function daemonize(argv: readonly string[]): Promise<number> {
  const child = childProcess().spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  })
  const word = await new Promise<Word>((resolve) => {
    const timer = setTimeout(() => resolve({ failed: 'it did not say it serves within 30 s', code: 1 }), 30_000)
    const done = (w: Word) => {
      clearTimeout(timer)
      resolve(w)
    }
    child.once('message', (w: Word) => done(w))
    child.once('error', (e) => done({ failed: e.message, code: 1 }))
    // 'close', not 'exit': it comes after the last message, so a reason sent before the end is never lost
    child.once('close', (code, signal) => done({ failed: `it exited (${signal ?? `code ${code}`}) before it served`, code: 1 }))
  })
  if ('failed' in word) {
    // a daemon that did not say it serves is no daemon of ours: gone before we say so
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await gone
    }
    throw new HaloError(word.code, `halo-mon did not start: ${word.failed}`)
  }
  child.unref()
  if (child.connected) child.disconnect()
  return 0
}

runCli('halo-mon', main, usage)
