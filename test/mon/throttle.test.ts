/** mon's throttling rules (do_alert), on the pure state machine: times are given, alerts only counted. */
import t from 'tap'
import { parseMonCf } from '../../mon/config/moncf.ts'
import { type AlertRequest, doAlert, newState, recordResult, type Rules } from '../../mon/state.ts'

const FAIL = '127.0.0.1\n\n127.0.0.1 could not connect: Connection refused\n'

/**
 * Feeds results (exit values, or [exit, output]) at the given seconds to a service whose period says
 * `rules` (mon.cf lines); returns the alerts called.
 */
function play(rules: string, results: [number, number | [number, string]][], spec = ''): { at: number; req: AlertRequest }[] {
  const cf = `watch h\n service s\n  interval 1s\n  monitor tcp.monitor\n  period ${spec}\n   ${rules.split('\n').join('\n   ')}\n`
  const svc = parseMonCf(cf, 'mon.cf').config.watches[0].services[0]
  const st = newState(svc)
  const called: { at: number; req: AlertRequest }[] = []
  let now = 0
  const count: Rules = { muted: () => false, call: (req) => (called.push({ at: now / 1000, req }), true) }
  for (const [sec, r] of results) {
    now = 1_000_000_000_000 + sec * 1000
    const [exit, out] = Array.isArray(r) ? r : [r, r ? FAIL : '']
    recordResult(svc, st, exit, out, now, count)
  }
  return called.map((c) => ({ at: c.at - 1_000_000_000, req: c.req }))
}

const kinds = (alerts: ReturnType<typeof play>) => alerts.map((a) => `${a.at}:${a.req.kind}`)
const plain = 'alert mail.alert root\nupalert mail.alert root'

t.test('no throttling: every failure alerts', async (t) => {
  t.same(kinds(play(plain, [[0, 1], [1, 1], [2, 1]])), ['0:failure', '1:failure', '2:failure'])
})

t.test('alertafter 2: the first failure is suppressed', async (t) => {
  t.same(kinds(play(`${plain}\nalertafter 2`, [[0, 1], [1, 1], [2, 1], [3, 0], [4, 1]])), ['1:failure', '2:failure', '3:up'])
})

t.test('alertafter 3 30s: from the 3rd failure within 30 s', async (t) => {
  t.same(kinds(play(`${plain}\nalertafter 3 30s`, [[0, 1], [10, 1], [20, 1], [25, 1]])), ['20:failure', '25:failure'])
  // failures spread wider than the window start it again
  t.same(kinds(play(`${plain}\nalertafter 3 30s`, [[0, 1], [20, 1], [40, 1], [50, 1], [60, 1]])), ['60:failure'])
})

t.test('alertafter 30s: once the failure has lasted longer than 30 s', async (t) => {
  t.same(kinds(play(`${plain}\nalertafter 30s`, [[0, 1], [10, 1], [30, 1], [31, 1]])), ['31:failure'])
})

t.test('numalerts 2: exactly two, again after a recovery', async (t) => {
  t.same(kinds(play(`${plain}\nnumalerts 2`, [[0, 1], [1, 1], [2, 1], [3, 1], [4, 0], [5, 1], [6, 1], [7, 1]])), ['0:failure', '1:failure', '4:up', '5:failure', '6:failure'])
})

t.test('alertevery 10s: one per 10 s unless the summary changes', async (t) => {
  const other = [1, 'other\n\ndetail\n'] as [number, string]
  t.same(kinds(play(`${plain}\nalertevery 10s`, [[0, 1], [3, 1], [6, other], [8, other], [10, other], [16, other]])), ['0:failure', '6:failure', '16:failure'])
  t.same(kinds(play(`${plain}\nalertevery 10s strict`, [[0, 1], [3, 1], [6, other], [10, other]])), ['0:failure', '10:failure'])
  t.same(kinds(play(`${plain}\nalertevery 10s ignore_summary`, [[0, 1], [6, other], [10, other]])), ['0:failure', '10:failure'])
})

t.test('upalert only after a failure alert was sent, unless no_comp_alerts', async (t) => {
  t.same(kinds(play(`${plain}\nalertafter 3`, [[0, 1], [1, 0]])), [])
  // no_comp_alerts: the upalert goes out alone, once until a failure alert is sent again
  t.same(kinds(play(`${plain}\nalertafter 3\nno_comp_alerts`, [[0, 1], [1, 0], [2, 0], [3, 1], [4, 0]])), ['1:up'])
  t.same(kinds(play(`${plain}\nno_comp_alerts`, [[0, 1], [1, 0], [2, 1], [3, 0]])), ['0:failure', '1:up', '2:failure', '3:up'])
})

t.test('an upalert gets the last failing output and retval 0', async (t) => {
  const up = play(plain, [[0, [1, 'a\n\nfirst\n']], [1, [1, 'b\n\nlast\n']], [2, 0]]).at(-1)!.req
  t.match(up, { kind: 'up', alert: { name: 'mail.alert', args: ['root'] }, output: 'b\n\nlast\n', retval: 0 })
})

t.test("exit= ranges pick the alert by the monitor's exit value", async (t) => {
  const alerts = play('alert exit=2 two.alert\nalert exit=3-9 many.alert x\nalert all.alert', [[0, 2], [1, 5]])
  t.same(alerts.map((a) => a.req.alert.name), ['two.alert', 'all.alert', 'many.alert', 'all.alert'])
})

t.test('alertexitrange: only failures with that exit value alert', async (t) => {
  t.same(kinds(play(`${plain}\nalertexitrange 2-3`, [[0, 1], [1, 2]])), ['1:failure'])
})

t.test('upalertafter delays nothing, as in mon (which never reads it back)', async (t) => {
  t.same(kinds(play(`${plain}\nupalertafter 10s`, [[0, 1], [5, 0]])), ['0:failure', '5:up'])
})

t.test('a period not in force sends nothing', async (t) => {
  t.same(kinds(play(plain, [[0, 1]], 'none')), [])
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(1_000_000_000_000).getDay()]
  t.same(kinds(play(plain, [[0, 1]], `wd {${day}}`)), ['0:failure'], 'the period of the failure\'s day alerts')
})

t.test('unack_summary: an acknowledged failure alerts again once its summary changes; disablealert on disable', async (t) => {
  const cf = 'watch h\n service s\n  interval 1s\n  monitor tcp.monitor\n  unack_summary\n  period\n   alert a.alert\n   disablealert d.alert\n'
  const svc = parseMonCf(cf, 'mon.cf').config.watches[0].services[0]
  const st = newState(svc)
  const called: string[] = []
  const rules: Rules = { muted: () => false, call: (req) => (called.push(`${req.kind}:${req.alert.name}`), true) }
  recordResult(svc, st, 1, FAIL, 1000, rules)
  st.ack = 1500
  recordResult(svc, st, 1, FAIL, 2000, rules)
  t.same(called, ['failure:a.alert'], 'acknowledged: quiet while the summary stays')
  recordResult(svc, st, 1, 'other\n', 3000, rules)
  t.same(called, ['failure:a.alert', 'failure:a.alert'], 'a new summary: alerts again')
  t.equal(st.ack, 0, 'and the ack is gone')
  st.disabled = true
  doAlert(svc, st, 'disable', '', undefined, 4000, rules)
  t.same(called.at(-1), 'disable:d.alert')
})

