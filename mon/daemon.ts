/**
 * halo-mon's core: one timer per service (no global tick, so a `200ms` interval is kept to the ms),
 * never two copies of one service's monitor at once, results into the service state, alerts out. The
 * client protocol (./server.ts) reads and steers it through the methods below.
 */
import { hostname } from 'node:os'
import type { Service } from '../lib/config/moncf.ts'
import { errorMessage } from '../lib/errors.ts'
import type { Logger } from '../lib/log.ts'
import { epoch, historyWord, monEnv, startAlert } from './alert.ts'
import { runMonitor } from './monitor.ts'
import { findExecutable } from '../lib/which.ts'
import { type AlertKind, type AlertRequest, alertsOf, doAlert, newState, recordResult, type Rules, type ServiceState, STAT_FAIL, summaryOf } from './state.ts'
import type { MonConfig } from './types.ts'

/** How many alert and failure history lines are kept (mon's MAX_KEEP). */
const KEEP = 100

export interface Entry {
  group: string
  svc: Service
  st: ServiceState
  timer: NodeJS.Timeout | undefined
  /** performance.now() of the next check */
  due: number
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
}

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

  constructor(private readonly opts: DaemonOptions) {
    this.config = opts.config
    this.stopped = opts.stopped ?? false
    if (this.stopped) this.stoppedSince = Date.now()
  }

  get globals() { return this.config.globals }

  start(): void {
    this.entries = this.build(new Map())
    for (const e of this.entries) doAlert(e.svc, e.st, 'startup', '', undefined, Date.now(), this.rules(e))
    for (const e of this.entries) this.schedule(e, 0)
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
    this.config = config
    this.entries = this.build(old)
    for (const e of this.entries) this.schedule(e, 0)
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

  /** `test monitor G S`: checked now, unless a check is already running. */
  testMonitor(e: Entry): void {
    if (!e.st.monitorRunning) this.schedule(e, 0)
  }

  /** `test alert|upalert|startupalert|ackalert G S RETVAL PERIOD`: the period's alerts, with test output. */
  testAlert(e: Entry, kind: AlertKind, retval: number, period: number): void {
    for (const alert of alertsOf[kind](e.svc.periods[period])) {
      this.callAlert(e, { kind, alert, output: 'test\ntest detail\n', retval }, true)
    }
  }

  /** `ack G S comment`: no more failure alerts until it recovers; the ack alerts go out. */
  ack(e: Entry, comment: string): void {
    e.st.ack = Date.now()
    e.st.ackComment = comment
    doAlert(e.svc, e.st, 'ack', comment, undefined, Date.now(), this.rules(e))
  }

  private build(keep: Map<string, ServiceState>): Entry[] {
    return this.config.watches.flatMap((w) =>
      w.services.map((svc) => ({ group: w.name, svc, st: keep.get(`${w.name}/${svc.name}`) ?? newState(svc), timer: undefined, due: 0 })),
    )
  }

  private schedule(e: Entry, delay: number): void {
    if (this.closed) return
    clearTimeout(e.timer)
    e.due = performance.now() + delay
    e.timer = setTimeout(() => void this.check(e), delay)
  }

  private interval(e: Entry): number {
    return (e.st.opstatus === STAT_FAIL && e.svc.failureInterval) || e.svc.interval!
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
    // fixed rate: the next check is due one interval after this one began, however long it runs
    const next = () => this.schedule(e, Math.max(0, started + this.interval(e) - performance.now()))
    if (this.stopped || e.st.disabled || this.disabledWatches.has(e.group)) return next()
    const hosts = this.hosts(e.group).filter((h) => !e.svc.excludeHosts.includes(h))
    if (hosts.length === 0 && !e.svc.allowEmptyGroup && !monitor.noHosts) {
      this.opts.log.err(`monitor for ${e.group}/${e.svc.name} not called because of no host arguments`)
      return next()
    }
    e.st.monitorRunning = true
    e.st.lastCheck = Date.now()
    try {
      const r = await runMonitor({
        monitor,
        hosts,
        env: { ...process.env, ...monEnv(e.group, e.svc, e.st, this.globals) },
        mondir: this.globals.mondir,
        // halo's addition: a check may take no longer than the wait for the next one
        timeoutMs: this.interval(e),
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
    next()
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
    this.opts.log.info(`calling ${historyWord(kind)} ${name} for ${e.group}/${e.svc.name} (${script},${args.join(' ')}) ${summary}`)
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
    if (list.length > KEEP) list.shift()
  }
}
