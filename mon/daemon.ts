/**
 * halo-mon's core: one timer per service, set where mon's 1-second loop would start the check
 * (./cadence.ts), or kept to the ms for a service whose interval is written in ms (halo's unit); never two
 * copies of one service's monitor at once, results into the service state, alerts out. The client
 * protocol (./server.ts) reads and steers it through the methods below.
 */
import { hostname } from 'node:os'
import type { Service } from './config/moncf.ts'
import { errorMessage } from '../lib/errors.ts'
import type { Logger } from '../lib/log.ts'
import { epoch, historyWord, monEnv, startAlert } from './alert.ts'
import { runMonitor } from './monitor.ts'
import { missingPrograms } from './programs.ts'
import { findExecutable } from '../lib/which.ts'
import { inPeriod } from './config/period.ts'
import { loadState, saveState } from './savedstate.ts'
import { countdown, countdownEnds, firstCheck, type Tick, tickAt } from './cadence.ts'
import { type AlertKind, type AlertRequest, alertsOf, doAlert, newState, recordResult, type Rules, type ServiceState, STAT_FAIL, summaryOf } from './state.ts'
import type { MonConfig } from './types.ts'

export interface Entry {
  group: string
  svc: Service
  st: ServiceState
  timer: NodeJS.Timeout | undefined
  /** performance.now() of the next check */
  due: number
  /** mon's _next_check (performance.now()): one interval after the last check was due; 0 = none */
  nextCheck: number
  /** pid of the running monitor script, for `list pids` */
  pid?: number
}

export interface DaemonOptions {
  log: Logger
  /** the configuration read at the start */
  config: MonConfig
  /** reads mon.cf again (for `reset`) */
  load: () => Promise<MonConfig>
  /** start with the scheduler stopped (-S) */
  stopped?: boolean
  /** -l: the saved states to load at the start */
  loadState?: readonly string[]
  /** ms; mon's loop tick (-i), 1000 by default */
  tick?: number
}

/** mon's state names: `all` is both */
const stateFiles = (states: readonly string[]) => (['disabled', 'opstatus'] as const).filter((s) => states.includes(s) || states.includes('all'))

export class Daemon {
  config: MonConfig
  entries: Entry[] = []
  stopped: boolean
  stoppedSince = 0
  readonly disabledHosts = new Set<string>()
  readonly disabledWatches = new Set<string>()
  readonly alertHistory: string[] = []
  readonly failureHistory: string[] = []
  /** `reset` answers with the pid and host, as mon does */
  readonly whoami = `${process.pid}@${hostname()}`
  private closed = false
  private tick: Tick = { start: 0, length: 1000 }

  constructor(private readonly opts: DaemonOptions) {
    this.config = opts.config
    this.stopped = opts.stopped ?? false
    if (this.stopped) this.stoppedSince = Date.now()
  }

  get globals() { return this.config.globals }

  get log(): Logger { return this.opts.log }

  start(): void {
    this.tick = { start: performance.now(), length: this.opts.tick ?? 1000 }
    this.entries = this.build(new Map())
    this.sayMissingPrograms()
    this.loadState(this.opts.loadState ?? [])
    this.startup()
  }

  /** Startup alerts, then the first checks. */
  private startup(): void {
    for (const e of this.entries) doAlert(e.svc, e.st, 'startup', '', undefined, Date.now(), this.rules(e))
    this.firstChecks()
  }

  /** As mon: a service's first check comes one interval after the start (with randstart: at random within it). */
  private firstChecks(): void {
    const { randstart } = this.globals
    for (const e of this.entries) {
      // a service that cannot be checked says so at once
      if (!e.svc.monitor || !e.svc.interval) this.schedule(e, 0)
      else if (e.svc.exactTimer) this.schedule(e, randstart ? Math.random() * randstart : e.svc.interval)
      else this.scheduleAt(e, firstCheck(this.tick, randstart ? Math.floor((Math.random() * randstart) / 1000) * 1000 : e.svc.interval))
    }
  }

  /** mon's save_state: the state files in statedir; a failure is logged, as mon does. */
  saveState(states: readonly string[]): void {
    for (const state of stateFiles(states)) {
      try {
        saveState(this, state)
      } catch (err) {
        this.opts.log.err(`could not write the ${state} state file in ${this.globals.statedir}: ${errorMessage(err)}`)
      }
    }
  }

  loadState(states: readonly string[]): void {
    for (const state of stateFiles(states)) {
      try {
        for (const problem of loadState(this, state)) this.opts.log.warn(problem)
        this.opts.log.info(`state '${state}' loaded`)
      } catch (err) {
        this.opts.log.err(`could not read the ${state} state file in ${this.globals.statedir}: ${errorMessage(err)}`)
      }
    }
  }

  /** Clears every timer and ends the monitor scripts still running (each leads its process group). */
  close(): void {
    this.closed = true
    for (const e of this.entries) {
      clearTimeout(e.timer)
      if (e.pid === undefined) continue
      try {
        process.kill(-e.pid, 'SIGKILL')
      } catch {
        // it has just ended
      }
    }
  }

  /** mon's `reset`: the configuration read again; the states kept only with keepstate. */
  async reset(keepstate: boolean): Promise<void> {
    const config = await this.opts.load()
    for (const e of this.entries) clearTimeout(e.timer)
    const old = new Map(keepstate ? this.entries.map((e) => [`${e.group}/${e.svc.name}`, e.st]) : [])
    if (!keepstate) {
      this.disabledHosts.clear()
      this.disabledWatches.clear()
    }
    this.config = config
    this.entries = this.build(old)
    this.sayMissingPrograms()
    if (config.globals.startupalertsOnReset) this.startup()
    else this.firstChecks()
  }

  /** at err, as mon: a missing monitor or alert is a service that is not watched or not heard */
  private sayMissingPrograms(): void {
    for (const line of missingPrograms(this.config)) this.opts.log.err(line)
  }

  find(group: string, service: string): Entry | undefined {
    return this.entries.find((e) => e.group === group && e.svc.name === service)
  }

  /** The group's hosts that are not disabled (mon marks them with `*`). */
  hosts(group: string): string[] {
    return (this.config.hostgroups.get(group) ?? []).filter((h) => !this.disabledHosts.has(h))
  }

  hostExists(host: string): boolean {
    return [...this.config.hostgroups.values()].some((hosts) => hosts.includes(host))
  }

  /** `test monitor G S`: checked now (mon: at its next tick), unless a check is already running. */
  testMonitor(e: Entry): void {
    if (e.st.monitorRunning) return
    e.nextCheck = 0
    if (e.svc.exactTimer) this.schedule(e, 0)
    else this.scheduleAt(e, tickAt(this.tick, performance.now()))
  }

  /** `test alert|upalert|startupalert|ackalert G S RETVAL PERIOD`: the period's alerts, with test output. */
  testAlert(e: Entry, kind: AlertKind, retval: number, period: number): void {
    for (const alert of alertsOf[kind](e.svc.periods[period])) {
      this.callAlert(e, { kind, alert, output: 'test\ntest detail\n', retval }, true)
    }
  }

  /** `disable service G S` / `enable service G S`; a disable sends the period's disable alerts. */
  disable(e: Entry, off: boolean): void {
    e.st.disabled = off
    if (off) doAlert(e.svc, e.st, 'disable', '', undefined, Date.now(), this.rules(e))
  }

  /** `ack G S comment`: no more failure alerts until it recovers; the ack alerts go out. */
  ack(e: Entry, comment: string): void {
    e.st.ack = Date.now()
    e.st.ackComment = comment
    doAlert(e.svc, e.st, 'ack', comment, undefined, Date.now(), this.rules(e))
  }

  private build(keep: Map<string, ServiceState>): Entry[] {
    return this.config.watches.flatMap((w) =>
      w.services.map((svc) => ({ group: w.name, svc, st: keep.get(`${w.name}/${svc.name}`) ?? newState(svc), timer: undefined, due: 0, nextCheck: 0 })),
    )
  }

  private schedule(e: Entry, delay: number): void {
    this.scheduleAt(e, performance.now() + delay)
  }

  private scheduleAt(e: Entry, due: number): void {
    if (this.closed) return
    clearTimeout(e.timer)
    e.due = due
    e.timer = setTimeout(() => void this.check(e), Math.max(0, due - performance.now()))
  }

  /**
   * The next check once this one is over (`collected`: when its result came in). A service in ms keeps a
   * fixed rate: one interval after this check was due, however long it ran, so services started together
   * stay together (and their checks of one port share a connection). Otherwise as mon's loop would.
   */
  private next(e: Entry, planned: number, collected: number): void {
    if (e.svc.exactTimer) return this.scheduleAt(e, planned + this.nextWait(e))
    const at = tickAt(this.tick, collected)
    this.scheduleAt(e, countdownEnds(this.tick, at, countdown({ interval: this.interval(e), nextCheck: e.nextCheck, collected: at, randskew: e.svc.randskew })))
  }

  /** A check not run (scheduler stopped, exclude_period): mon tries again at its next tick. */
  private skip(e: Entry, planned: number): void {
    if (e.svc.exactTimer) this.scheduleAt(e, planned + this.nextWait(e))
    else this.scheduleAt(e, planned + this.tick.length)
  }

  private interval(e: Entry): number {
    return (e.st.opstatus === STAT_FAIL && e.svc.failureInterval) || e.svc.interval!
  }

  /** The wait for the next check: the interval, moved by up to randskew either way (mon's randskew). */
  private nextWait(e: Entry): number {
    const skew = e.svc.randskew ?? 0
    return this.interval(e) + (skew ? (Math.random() * 2 - 1) * skew : 0)
  }

  /** mon skips the check, not the schedule, in an exclude_period (the global one or the service's) */
  private excluded(e: Entry, now: Date): boolean {
    const { excludePeriod } = this.globals
    return (excludePeriod !== undefined && inPeriod(excludePeriod, now)) || (e.svc.excludePeriod !== undefined && inPeriod(e.svc.excludePeriod, now))
  }

  private async check(e: Entry): Promise<void> {
    const monitor = e.svc.monitor
    if (!monitor || !e.svc.interval) {
      // mon never runs such a service either; it stays untested (its alerts can still be tested)
      this.opts.log.warn(`${e.group}/${e.svc.name} has no ${monitor ? 'interval' : 'monitor'}: it is not checked`)
      return
    }
    if (e.st.monitorRunning || !this.entries.includes(e)) return
    const started = performance.now()
    const planned = e.due
    if (this.stopped || this.excluded(e, new Date())) return this.skip(e, planned)
    // mon's _next_check, kept as mon keeps it: from the first check's start, one interval further at each
    e.nextCheck = e.nextCheck ? e.nextCheck + this.interval(e) : planned + this.interval(e)
    // halo does not check a disabled service (mon checks it and drops its alerts)
    if (e.st.disabled || this.disabledWatches.has(e.group)) return this.next(e, planned, planned)
    const hosts = this.hosts(e.group).filter((h) => !e.svc.excludeHosts.includes(h))
    if (hosts.length === 0 && !e.svc.allowEmptyGroup && !monitor.noHosts) {
      this.opts.log.err(`monitor for ${e.group}/${e.svc.name} not called because of no host arguments`)
      return this.next(e, planned, planned)
    }
    const wasFailing = e.st.opstatus === STAT_FAIL
    e.st.monitorRunning = true
    e.st.lastCheck = Date.now()
    try {
      const r = await runMonitor({
        monitor,
        hosts,
        env: () => ({ ...process.env, ...monEnv(e.group, e.svc, e.st, this.globals) }),
        mondir: this.globals.mondir,
        // halo's addition: a check may take no longer than monitor_timeout, by default the wait for the next one
        timeoutMs: e.svc.monitorTimeout ?? this.interval(e),
        onSpawn: (pid) => (e.pid = pid),
      })
      if (r.timedOut) this.opts.log.warn(`monitor for ${e.group}/${e.svc.name} timed out`)
      e.st.monitorDuration = performance.now() - started
      if (r.exitval !== 0) this.remember(this.failureHistory, `${e.group} ${e.svc.name} ${epoch(Date.now())} ${summaryOf(r.output)}`)
      recordResult(e.svc, e.st, r.exitval, r.output, Date.now(), this.rules(e))
    } catch (err) {
      this.opts.log.err(`${e.group}/${e.svc.name}: ${errorMessage(err)}`)
    } finally {
      e.st.monitorRunning = false
      e.pid = undefined
    }
    // mon counts afresh when failure_interval takes over, or hands back to interval
    if (e.svc.failureInterval && wasFailing !== (e.st.opstatus === STAT_FAIL)) e.nextCheck = 0
    this.next(e, planned, performance.now())
  }

  private rules(e: Entry): Rules {
    return {
      muted: () => this.stopped || this.disabledWatches.has(e.group),
      call: (req) => this.callAlert(e, req, false),
    }
  }

  private callAlert(e: Entry, req: AlertRequest, test: boolean): boolean {
    const { name, args } = req.alert
    const script = findExecutable(name, this.globals.alertdir)
    if (!script) {
      this.opts.log.err(`no alert found while trying to run ${name}`)
      return false
    }
    const now = Date.now()
    const kind = test && req.kind === 'failure' ? 'test' : req.kind
    const summary = summaryOf(req.output)
    // at syslog's alert level, as mon: admins route these lines to a pager
    this.opts.log.alert(`calling ${historyWord(kind)} ${name} for ${e.group}/${e.svc.name} (${script},${args.join(' ')}) ${summary}`)
    try {
      startAlert({ script, args, kind, group: e.group, hosts: this.hosts(e.group), svc: e.svc, st: e.st, retval: req.retval, globals: this.globals, now }, req.output)
    } catch (err) {
      this.opts.log.err(`could not run alert ${script}: ${errorMessage(err)}`)
      return false
    }
    if (!test) this.remember(this.alertHistory, `${historyWord(kind)} ${e.group} ${e.svc.name} ${epoch(now)} ${script} (${args.join(' ')}) ${summary}`)
    return true
  }

  private remember(list: string[], line: string): void {
    list.push(line)
    if (list.length > this.globals.histlength) list.shift()
  }
}
