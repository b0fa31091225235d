/**
 * What halo-mon knows about one service between checks, and the two decisions mon makes on it: how a
 * check's result changes the state (process_event), and which alerts a failure, recovery, ack… sends
 * after the throttling rules of each period (do_alert). Pure: the caller passes the time and a function
 * that actually calls an alert, so the rules are tested without processes or clocks.
 */
import type { Alert, AlertPeriod, ExitRange, Service } from './config/moncf.ts'
import { inPeriod } from './config/period.ts'

export const STAT_FAIL = 0
export const STAT_OK = 1
export const STAT_UNTESTED = 7

export type AlertKind = 'failure' | 'up' | 'startup' | 'ack' | 'disable' | 'test'

export interface PeriodState {
  /** ms since the epoch of the last alert sent in this period; 0 = none */
  lastAlert: number
  /** alerts sent since the service last recovered */
  alertSent: number
  /** for `alertafter [N] T`: when the current window of failures began; 0 = none */
  firstFailTime: number
  failCount: number
  /** with no_comp_alerts: upalerts sent since the last failure alert */
  noCompUpSent: number
}

export interface ServiceState {
  opstatus: number
  lastOpstatus: number
  /** the last monitor's exit value; undefined before the first check */
  exitval: number | undefined
  consecFailures: number
  failureCount: number
  /** epoch ms; 0 = never */
  lastFailure: number
  firstFailure: number
  lastSuccess: number
  lastCheck: number
  lastSummary: string | undefined
  lastDetail: string | undefined
  lastOutput: string | undefined
  /** the output of the failure being alerted on ('' once recovered) */
  failureOutput: string
  upalertOutput: string | undefined
  /** epoch ms of the ack; 0 = not acknowledged */
  ack: number
  ackComment: string
  disabled: boolean
  alertCount: number
  monitorRunning: boolean
  /** ms; -1 before the first check */
  monitorDuration: number
  periods: PeriodState[]
}

export function newState(svc: Service): ServiceState {
  return {
    opstatus: STAT_UNTESTED,
    lastOpstatus: STAT_UNTESTED,
    exitval: undefined,
    consecFailures: 0,
    failureCount: 0,
    lastFailure: 0,
    firstFailure: 0,
    lastSuccess: 0,
    lastCheck: 0,
    lastSummary: undefined,
    lastDetail: undefined,
    lastOutput: undefined,
    failureOutput: '',
    upalertOutput: undefined,
    ack: 0,
    ackComment: '',
    disabled: false,
    alertCount: 0,
    monitorRunning: false,
    monitorDuration: -1,
    periods: svc.periods.map(() => ({ lastAlert: 0, alertSent: 0, firstFailTime: 0, failCount: 0, noCompUpSent: 0 })),
  }
}

/** mon's summary: the first line, or `(NO SUMMARY)` when it is blank. */
export function summaryOf(output: string): string {
  const first = output.split('\n')[0]
  return /^\s*$/.test(first) ? '(NO SUMMARY)' : first
}

function splitOutput(output: string): { summary: string; detail: string | undefined } {
  const nl = output.indexOf('\n')
  return nl < 0 ? { summary: output, detail: undefined } : { summary: output.slice(0, nl), detail: output.slice(nl + 1) }
}

function setOpstatus(st: ServiceState, status: number): void {
  st.lastOpstatus = st.opstatus
  st.opstatus = status
}

export interface AlertRequest {
  kind: AlertKind
  alert: Alert
  output: string
  retval: number | undefined
}

export interface Rules {
  /** no alert at all now: the scheduler is stopped or the watch disabled (mon drops them, uncounted) */
  muted: () => boolean
  /** runs the alert now; false when the alert script does not exist (then it does not count) */
  call: (req: AlertRequest) => boolean
}

/** A check's result (mon's process_event for a monitor); alerts go out through rules.call. */
export function recordResult(svc: Service, st: ServiceState, exitval: number, output: string, now: number, rules: Rules): void {
  const { summary, detail } = splitOutput(output)
  st.exitval = exitval
  if (exitval !== 0) {
    st.failureCount++
    st.consecFailures++
    st.lastFailure = now
    if (st.opstatus !== STAT_FAIL) st.firstFailure = now
    setOpstatus(st, STAT_FAIL)
    // the alert sees this failure's summary, but the output of the check before (mon's order)
    st.lastSummary = summaryOf(output)
    st.lastDetail = detail
    doAlert(svc, st, 'failure', output, exitval, now, rules)
    st.failureOutput = output
  } else {
    const was = st.opstatus
    setOpstatus(st, STAT_OK)
    // (mon reads upalertafter where it never stores it, so it delays nothing: halo keeps that)
    if (was === STAT_FAIL && svc.periods.some((p) => p.upalert.length > 0)) {
      // the upalert reads the last failing output on stdin
      st.upalertOutput = st.lastOutput
      doAlert(svc, st, 'up', st.upalertOutput ?? '', 0, now, rules)
    }
    st.ack = 0
    st.ackComment = ''
    st.firstFailure = 0
    st.lastFailure = 0
    st.consecFailures = 0
    st.failureOutput = ''
    svc.periods.forEach((p, i) => {
      const ps = st.periods[i]
      // a strict alertevery keeps counting across a recovery
      if (p.alertevery?.mode !== 'strict') ps.lastAlert = 0
      ps.firstFailTime = 0
      ps.alertSent = 0
    })
    st.lastSuccess = now
  }
  st.lastOutput = output
  st.lastSummary = exitval !== 0 ? summaryOf(output) : summary
  st.lastDetail = detail
}

const inRange = (value: number | undefined, r: ExitRange) => value !== undefined && value >= r.from && value <= r.to

export const alertsOf: Record<AlertKind, (p: AlertPeriod) => Alert[]> = {
  failure: (p) => p.alert,
  test: (p) => p.alert,
  up: (p) => p.upalert,
  startup: (p) => p.startupalert,
  ack: (p) => p.ackalert,
  disable: (p) => p.disablealert,
}

/** mon's do_alert: for each period in force, the throttling rules, then the period's alerts of that kind. */
export function doAlert(
  svc: Service,
  st: ServiceState,
  kind: Exclude<AlertKind, 'test'>,
  output: string,
  retval: number | undefined,
  now: number,
  rules: Rules,
): void {
  // a disable alert goes out as the service is disabled
  if ((st.disabled && kind !== 'disable') || rules.muted()) return
  const summary = summaryOf(output)
  const prevSummary = summaryOf(st.failureOutput)
  if (st.ack !== 0 && kind === 'failure' && svc.unackSummary && summary.replace(/\s/g, '') !== prevSummary.replace(/\s/g, '')) unack(st)
  // an acknowledged failure alerts no more; its recovery, ack and disable alerts still go out
  if (st.ack !== 0 && kind === 'failure') return
  svc.periods.forEach((p, i) => {
    if (!inPeriod(p.period, new Date(now))) return
    const ps = st.periods[i]
    if (!p.noCompAlerts && (kind === 'up' || kind === 'ack') && ps.alertSent === 0) return
    if (p.noCompAlerts && kind === 'up' && ps.noCompUpSent > 0) return
    if (kind === 'failure' && !passesThrottle(p, ps, st, output, summary, prevSummary, retval, now)) return
    let called = 0
    for (const alert of alertsOf[kind](p)) {
      if (alert.exit && !inRange(retval, alert.exit)) continue
      if (rules.call({ kind, alert, output, retval })) {
        called++
        ps.lastAlert = now
        st.alertCount++
      }
    }
    if (called === 0) return
    if (kind === 'up') {
      // a recovery closes the episode: the next failure alerts afresh
      ps.alertSent = 0
      ps.lastAlert = 0
      if (p.noCompAlerts) ps.noCompUpSent++
    } else {
      ps.alertSent++
      if (p.noCompAlerts) ps.noCompUpSent = 0
    }
  })
}

/** unack_summary: a failure whose summary changed is news again, and alerts afresh. */
function unack(st: ServiceState): void {
  st.ack = 0
  st.ackComment = ''
  st.consecFailures = 1
  for (const ps of st.periods) {
    ps.lastAlert = 0
    ps.firstFailTime = 0
    ps.failCount = 0
  }
}

/** The failure-alert rules of one period: exit range, numalerts, alertevery, alertafter. */
function passesThrottle(
  p: AlertPeriod,
  ps: PeriodState,
  st: ServiceState,
  output: string,
  summary: string,
  prevSummary: string,
  retval: number | undefined,
  now: number,
): boolean {
  if (p.alertexitrange !== undefined && !inRange(retval, p.alertexitrange)) return false
  if (p.numalerts && ps.alertSent >= p.numalerts) return false
  if (p.alertevery && now - ps.lastAlert < p.alertevery.interval) {
    const unchanged = {
      strict: true,
      ignore_summary: true,
      observe_detail: st.failureOutput === output,
      summary: prevSummary === summary,
    }[p.alertevery.mode]
    if (unchanged) return false
  }
  const after = p.alertafter
  if (!after) return true
  if (after.within === undefined) return st.consecFailures >= after.failures!
  if (after.failures === undefined) {
    // `alertafter T`: only once failures have lasted longer than T
    if (ps.firstFailTime === 0) ps.firstFailTime = now
    return now - ps.firstFailTime > after.within
  }
  // `alertafter N T`: N failures within a window of T that starts at the first of them
  ps.failCount++
  if (now - ps.firstFailTime <= after.within && ps.failCount < after.failures) return false
  if (now - ps.firstFailTime > after.within) ps.failCount = 1
  if (ps.failCount === 1) ps.firstFailTime = now
  return ps.failCount >= after.failures
}
