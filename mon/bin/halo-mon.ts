/**
 * halo-mon: the monitor daemon, with mon's command line.
 *   -c FILE mon.cf (/etc/mon/mon.cf)   -f fork into the background   -d debug   -S start with the scheduler
 *   stopped   -a DIR alertdir   -s DIR mondir   -L DIR logdir   -D DIR statedir   -P FILE pidfile ('' none)
 *   -p PORT server port   -M [M4] run mon.cf through m4
 * Foreground unless -f. SIGHUP reads mon.cf again (as `reset keepstate`); SIGTERM and SIGINT stop it.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { errorMessage, HaloError, UsageError } from '../../lib/errors.ts'
import { spawnDetached } from '../../lib/exec.ts'
import { runCli } from '../../lib/cli.ts'
import { Logger } from '../../lib/log.ts'
import { isAlive } from '../../lib/process.ts'
import { waitForPorts } from '../../lib/tcp.ts'
import { loadConfig, type Overrides } from '../config.ts'
import { Daemon } from '../daemon.ts'
import { serve } from '../server.ts'

const usage = 'usage: halo-mon [-fdS] [-c mon.cf] [-a alertdir] [-s mondir] [-L logdir] [-D statedir] [-P pidfile] [-p port] [-M [m4]]'

interface Flags {
  config: string
  fork: boolean
  debug: boolean
  stopped: boolean
  over: Overrides
}

const dirs = (v: string) => v.split(':').filter(Boolean)

function parse(argv: readonly string[]): Flags {
  const flags: Flags = { config: '/etc/mon/mon.cf', fork: false, debug: false, stopped: false, over: {} }
  const value = (i: number, opt: string) => {
    if (argv[i] === undefined) throw new UsageError(`${opt} needs a value`)
    return argv[i]
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '-f') flags.fork = true
    else if (a === '-d') flags.debug = true
    else if (a === '-S') flags.stopped = true
    else if (a === '-c') flags.config = value(++i, a)
    else if (a === '-a') flags.over.alertdir = dirs(value(++i, a))
    else if (a === '-s') flags.over.mondir = dirs(value(++i, a))
    else if (a === '-L') flags.over.logdir = value(++i, a)
    else if (a === '-D') flags.over.statedir = value(++i, a)
    else if (a === '-P') flags.over.pidfile = value(++i, a)
    else if (a === '-p') {
      const port = Number(value(++i, a))
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`-p ${argv[i]}: write a port, 1-65535`)
      flags.over.serverport = port
    } else if (a === '-M') {
      // mon's -M takes the m4 program optionally
      flags.over.m4 = argv[i + 1] !== undefined && !argv[i + 1].startsWith('-') ? argv[++i] : 'm4'
    } else throw new UsageError(`unknown option ${a}`)
  }
  return flags
}

async function main(argv: string[]): Promise<number> {
  const flags = parse(argv)
  const log = new Logger({ tag: 'halo-mon', facility: flags.fork ? 'daemon' : undefined, debug: flags.debug })
  // read before forking, so a broken mon.cf is reported to the admin who started it
  const load = () => loadConfig(flags.config, flags.over, log)
  const config = await load()
  if (flags.fork) return daemonize(argv.filter((a) => a !== '-f'), config.globals.serverbind, config.globals.serverport)

  const daemon = new Daemon({ log, config, load, stopped: flags.stopped })
  const { serverbind, serverport, pidfile } = config.globals
  const server = await serve(daemon, serverbind, serverport).catch((e: Error) => {
    throw new HaloError(1, `cannot listen on ${serverbind}:${serverport}: ${e.message}`)
  })
  if (pidfile) writePidFile(pidfile)
  daemon.start()
  log.info(`halo-mon started, serving ${serverbind}:${serverport}`)
  process.on('SIGHUP', () => {
    daemon.reset(true).catch((e: Error) => log.err(`reset: ${e.message}`))
  })
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
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
    writeFileSync(path, `${process.pid}\n`)
  } catch (e) {
    throw new HaloError(1, `cannot write the pid file ${path} (${errorMessage(e)}): create its directory or give another with -P`)
  }
}

/** -f: the daemon runs in the background; we return once it serves its port, or fail if it died. */
async function daemonize(argv: readonly string[], host: string, port: number): Promise<number> {
  const pid = spawnDetached([process.execPath, ...process.execArgv, process.argv[1], ...argv])
  const up = await waitForPorts([{ host, port }], {
    deadline: performance.now() + 30_000,
    giveUp: () => (isAlive(pid) ? undefined : 'it exited'),
  })
  if (!up.ok) throw new HaloError(1, `halo-mon did not start (${up.gaveUp ?? 'no answer on its port within 30 s'}); run it without -f to see why`)
  return 0
}

runCli('halo-mon', main, usage)
