/**
 * recovery.cf's watch=PIDFILE: while this node holds a resource's group, settled, the engine watches the
 * process its pid file names, and the end of that process is the resource's failure. A monitor, or mon,
 * sees a crash only at its next check, seconds later; this sees it within milliseconds. Node has no
 * pidfd: a perl (Debian's perl-base is Essential) waits on one for each watched process (PIDFD_WAIT) and
 * exits when the process does, which has the engine look at once; the engine also looks every second
 * (its /proc entry: a zombie nobody reaps, or a pid reused), and every WATCH_MS when no perl waits.
 * A resource counts as failed only once its process has been seen alive since its group last settled: a
 * pid file that a slow init script has not written yet is no crash.
 */
import { type ChildProcess } from 'node:child_process'
import { childProcess } from '../lib/exec.ts'
import { type Logger } from '../lib/log.ts'
import { answersSignals, pidFileProcess, processStat } from '../lib/process.ts'

/** how often the engine looks when no perl waits on a watched process */
const WATCH_MS = 50
/** how often it looks when each watched process has its perl: a reused pid or a zombie are only seen so */
const FULL_LOOK_MS = 1000
/**
 * pidfd_open(2) on the pid (434 on amd64, arm64 and the other ports since Linux 5.3; where it is another
 * call, or none, it fails and the engine looks every WATCH_MS), then a wait until the pidfd or stdin (the
 * engine's pipe: the engine gone) is readable; exit 0: the process ended, 2: no pidfd, 3: the engine left.
 */
const PIDFD_WAIT = 'my $fd = syscall(434, $ARGV[0] + 0, 0); exit 2 if $fd < 0; my $r = ""; vec($r, $fd, 1) = 1; vec($r, 0, 1) = 1; select($r, undef, undef, undef); exit(vec($r, $fd, 1) ? 0 : 3)'

interface Watched {
  /** as recovery names it */
  name: string
  pidFile: string
}

export interface ProcessWatchIo {
  log: Logger
  /** the resources with a watch= line, as recovery.cf says now */
  watched(): readonly Watched[]
  /** whether the resource's process may not be judged now (its group is not held here, or in transition) */
  unsettled(name: string): boolean
  /** the process has ended: `why` says how */
  failed(name: string, why: string): void
}

interface Seen {
  pid: number
  startTime: string
  /** the perl waiting on its pidfd */
  waiter: ChildProcess
}

export class ProcessWatch {
  private timer?: NodeJS.Timeout
  private watching = false
  private lastFull = 0
  private readonly seen = new Map<string, Seen>()
  /** what was said of an untrusted pid file, so it is said once */
  private readonly said = new Map<string, string>()

  constructor(private readonly io: ProcessWatchIo) {}

  start(): void {
    this.stop()
    if (this.io.watched().length === 0) return
    this.watching = true
    this.look()
  }

  stop(): void {
    this.watching = false
    clearTimeout(this.timer)
    for (const name of [...this.seen.keys()]) this.forget(name)
  }

  /** Forgets the process of `name` (its restart begins): the next one is looked for afresh. */
  forget(name: string): void {
    this.seen.get(name)?.waiter.kill()
    this.seen.delete(name)
  }

  /**
   * Looks at every watched resource (`full`: at their /proc entries, not only a signal 0, which a zombie
   * answers), then again after WATCH_MS, or FULL_LOOK_MS when each has its perl.
   */
  private look(full = performance.now() - this.lastFull >= FULL_LOOK_MS): void {
    clearTimeout(this.timer)
    if (!this.watching) return
    if (full) this.lastFull = performance.now()
    const watched = this.io.watched()
    for (const { name, pidFile } of watched) this.lookAt(name, pidFile, full)
    const waited = watched.every(({ name }) => waits(this.seen.get(name)?.waiter))
    this.timer = setTimeout(() => this.look(), waited ? FULL_LOOK_MS : WATCH_MS).unref()
  }

  private lookAt(name: string, pidFile: string, full: boolean): void {
    if (this.io.unsettled(name)) {
      this.forget(name)
      return
    }
    const was = this.seen.get(name)
    if (was && !full && answersSignals(was.pid)) return
    const now = was && processStat(was.pid)
    if (was && now && now.state !== 'Z' && now.startTime === was.startTime) return
    const { pid, gone } = pidFileProcess(pidFile)
    const stat = pid === undefined ? undefined : processStat(pid)
    if (pid !== undefined && stat) {
      if (was) this.io.log.warn(`${name}: pid ${was.pid} ended but ${pidFile} names pid ${pid} now (started by something else): watching it`)
      else this.io.log.debug(`${name}: watching pid ${pid} (${pidFile})`)
      this.forget(name)
      this.seen.set(name, { pid, startTime: stat.startTime, waiter: this.waitFor(name, pid) })
      this.said.delete(name)
      return
    }
    if (!was) {
      if (gone && this.said.get(name) !== gone) this.io.log.warn(`${name}: watch=${pidFile}: ${gone}; not watched until it names the running process`)
      if (gone) this.said.set(name, gone)
      return
    }
    this.forget(name)
    this.io.failed(name, `its process ended (pid ${was.pid}, ${pidFile}${gone ? '' : ' removed'})`)
  }

  /** A perl waiting on the process's pidfd: its exit has the engine look at once. */
  private waitFor(name: string, pid: number): ChildProcess {
    const waiter = childProcess().spawn('perl', ['-e', PIDFD_WAIT, String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] })
    waiter.on('error', () => {})
    waiter.on('exit', () => {
      if (this.seen.get(name)?.waiter === waiter) this.look(true)
    })
    // the engine may leave while it waits: its pipe closing ends the perl
    waiter.unref()
    ;(waiter.stdin as import('node:net').Socket).unref()
    return waiter
  }
}

/** the perl runs (a perl that could not start has no pid) */
const waits = (w: ChildProcess | undefined) => w !== undefined && w.pid !== undefined && w.exitCode === null && w.signalCode === null
