// `halo history` reads the journal the engine writes: one event a line, --since, --last's timeline, JSON;
// a wrong --since is a usage error naming the option. The built program, on a journal in HALO_VARLIB.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../lib/exec.ts'
import { type HistoryEvent, Journal } from '../../ha.d/history.ts'
import { parseSince } from '../../ops/history.ts'

const halo = (varlib: string, ...args: string[]) =>
  run([new URL('../../dist/bin/halo', import.meta.url).pathname, 'history', ...args], { timeout: 20_000, env: { ...process.env, HALO_VARLIB: varlib } })

const at = (min: number) => new Date(Date.UTC(2026, 11, 3, 22, min)).toISOString()
const events: HistoryEvent[] = [
  { at: at(0), kind: 'engine-start', node: 'nodeb', text: 'halo-heartbeat started on nodeb (generation 7)' },
  { at: at(10), kind: 'node-dead', node: 'nodeb', peer: 'nodea', text: 'node nodea is dead (silent for 1003 ms; deadtime 1000 ms)' },
  {
    at: at(11),
    kind: 'takeover',
    node: 'nodeb',
    peer: 'nodea',
    set: 'all',
    cause: 'nodea declared dead',
    ok: true,
    ms: 1520,
    text: 'took over [all] from nodea (nodea declared dead) in 1520 ms',
    timeline: [
      { at: at(10), ms: 0, what: 'last heartbeat from nodea' },
      { at: at(10), ms: 1003, what: 'node nodea declared dead (deadtime 1000 ms)' },
      { at: at(11), ms: 1400, what: 'virtual IP 10.0.0.5 up' },
      { at: at(11), ms: 1520, what: 'everything running: the service answers here' },
    ],
  },
  { at: at(20), kind: 'standby', node: 'nodeb', set: 'foreign', origin: 'auto_failback', text: 'going standby [foreign], asked by auto_failback' },
]

const journal = (t: { teardown(f: () => void): void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-history-cmd-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const j = new Journal(join(dir, 'history.jsonl'))
  for (const e of events) j.record(e)
  j.close()
  return dir
}

t.test('every event, one a line, in order', async (t) => {
  const r = await halo(journal(t))
  t.equal(r.code, 0)
  const lines = r.stdout.trimEnd().split('\n')
  t.equal(lines.length, 4)
  t.match(lines[1], /^2026-12-0\d \d\d:10:00  nodeb  node nodea is dead \(silent for 1003 ms; deadtime 1000 ms\)$/)
  t.match(lines[3], /going standby \[foreign\], asked by auto_failback$/)
})

t.test('--since keeps the events from then on', async (t) => {
  const dir = journal(t)
  const r = await halo(dir, '--since', at(15))
  t.equal(r.code, 0)
  t.match(r.stdout, /^\S+ \S+  nodeb  going standby \[foreign\], asked by auto_failback\n$/)
  const json = await halo(dir, '--since', at(10), '--output-as=json')
  t.same((JSON.parse(json.stdout) as HistoryEvent[]).map((e) => e.kind), ['node-dead', 'takeover', 'standby'])
})

t.test('--last: the last failover as a timeline', async (t) => {
  const dir = journal(t)
  const r = await halo(dir, '--last')
  t.equal(r.code, 0)
  t.same(r.stdout.trimEnd().split('\n').slice(1), [
    '       +0 ms  last heartbeat from nodea',
    '    +1003 ms  node nodea declared dead (deadtime 1000 ms)',
    '    +1400 ms  virtual IP 10.0.0.5 up',
    '    +1520 ms  everything running: the service answers here',
  ])
  t.match(r.stdout, /^\S+ \S+  nodeb took over \[all\] from nodea \(nodea declared dead\) in 1520 ms\n/)
  const json = await halo(dir, '--last', '--output-as', 'json')
  t.equal((JSON.parse(json.stdout) as HistoryEvent).ms, 1520)
  const none = await halo(dir, '--last', '--since', at(30))
  t.equal(none.code, 1, 'no failover since then')
  t.match(none.stdout, /^no failover recorded in .*history\.jsonl since /)
})

t.test('no journal yet: said, not an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-history-none-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = await halo(dir)
  t.equal(r.code, 0)
  t.equal(r.stdout, `no events recorded in ${dir}/history.jsonl\n`)
})

t.test('a wrong --since is a usage error naming it', async (t) => {
  const r = await halo(journal(t), '--since', 'yesterday-ish')
  t.equal(r.code, 2)
  t.match(r.stderr, /^halo: --since "yesterday-ish": give a time/)
  t.notMatch(r.stderr, /    at /)
})

t.test('--since reads times and durations ago', async (t) => {
  const now = Date.UTC(2026, 11, 3, 12)
  t.equal(parseSince('2h', now).getTime(), now - 7_200_000)
  t.equal(parseSince('2d', now).getTime(), now - 172_800_000)
  t.equal(parseSince('2026-12-03T10:00:00Z', now).toISOString(), '2026-12-03T10:00:00.000Z')
  t.equal(parseSince('2026-12-03 10:00', now).getTime(), new Date(2026, 11, 3, 10).getTime(), 'a time without a zone is local')
})
