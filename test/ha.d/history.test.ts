import t from 'tap'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type HistoryEvent, Journal, historyPath, lastFailover, readHistory } from '../../ha.d/history.ts'

const scratch = (t: { teardown(f: () => void): void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-history-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const event = (i: number, kind: HistoryEvent['kind'] = 'node-dead'): HistoryEvent => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  kind,
  node: 'nodeb',
  text: `event ${String(i).padStart(2, '0')}`,
})

t.test('events are written one a line and read back in order', async (t) => {
  const path = join(scratch(t), 'var/lib/halo/history.jsonl')
  const j = new Journal(path)
  for (let i = 0; i < 3; i++) j.record(event(i))
  j.close()
  const lines = readFileSync(path, 'utf8').split('\n')
  t.equal(lines.length, 4, 'three lines and the final newline')
  t.same(JSON.parse(lines[1]), event(1))
  t.same(readHistory(path).map((e) => e.text), ['event 00', 'event 01', 'event 02'])
  t.same(readHistory(join(path, '..', 'none.jsonl')), [], 'no journal: no events')
})

t.test('the journal rotates at its size and keeps N files, the oldest events dropped', async (t) => {
  const path = join(scratch(t), 'history.jsonl')
  const line = JSON.stringify(event(0)).length + 1
  // four lines a file
  const j = new Journal(path, { maxBytes: line * 4, keep: 3 })
  for (let i = 0; i < 20; i++) j.record(event(i))
  j.close()
  t.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`), 'rotated files .1 and .2')
  t.notOk(existsSync(`${path}.3`), 'no more than keep (3) files')
  for (const f of [path, `${path}.1`, `${path}.2`]) t.ok(statSync(f).size <= line * 4, `${f} within its size`)
  const kept = readHistory(path, { keep: 3 }).map((e) => e.text)
  t.same(kept, Array.from({ length: 12 }, (_, i) => `event ${i + 8}`.replace(/ (\d)$/, ' 0$1')), 'the newest 12 events, in order across the files')
})

t.test('a line torn by a crash is skipped, and the next event starts on a line of its own', async (t) => {
  const path = join(scratch(t), 'history.jsonl')
  writeFileSync(path, `${JSON.stringify(event(0))}\n${JSON.stringify(event(1)).slice(0, 30)}`)
  const j = new Journal(path)
  j.record(event(2))
  j.close()
  t.same(readHistory(path).map((e) => e.text), ['event 00', 'event 02'])
  appendFileSync(path, '{"at":"not a time","kind":"x","node":"a","text":"b"}\n[1,2]\n')
  t.same(readHistory(path).map((e) => e.text), ['event 00', 'event 02'], 'lines that are not events are skipped too')
})

t.test('since keeps the events at or after it', async (t) => {
  const path = join(scratch(t), 'history.jsonl')
  const j = new Journal(path)
  for (let i = 0; i < 5; i++) j.record(event(i))
  j.close()
  t.same(readHistory(path, { since: new Date(event(3).at) }).map((e) => e.text), ['event 03', 'event 04'])
  t.same(readHistory(path, { since: Date.parse(event(9).at) }), [])
})

t.test('the journal is never written through a link, and a failure is said once without throwing', async (t) => {
  const dir = scratch(t)
  const target = join(dir, 'target')
  writeFileSync(target, 'precious\n')
  const path = join(dir, 'history.jsonl')
  symlinkSync(target, path)
  const warnings: string[] = []
  const j = new Journal(path, { warn: (w) => warnings.push(w) })
  j.record(event(0))
  j.record(event(1))
  j.close()
  t.equal(readFileSync(target, 'utf8'), 'precious\n', 'the link target is untouched')
  t.equal(warnings.length, 1, 'said once')
  t.match(warnings[0], new RegExp(`event history ${path}: .*ELOOP`))
})

t.test('a journal in a linked directory is refused', async (t) => {
  const dir = scratch(t)
  mkdirSync(join(dir, 'elsewhere'))
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'halo'))
  const warnings: string[] = []
  new Journal(join(dir, 'halo/history.jsonl'), { warn: (w) => warnings.push(w) }).record(event(0))
  t.notOk(existsSync(join(dir, 'elsewhere/history.jsonl')))
  t.match(warnings, [/is a symbolic link/])
})

t.test('where the journal is, and the last failover', async (t) => {
  t.equal(historyPath({}), '/var/lib/halo/history.jsonl')
  t.equal(historyPath({ HALO_VARLIB: '/tmp/x' }), '/tmp/x/history.jsonl')
  const events = [event(0, 'takeover'), event(1, 'node-up'), event(2, 'takeover'), event(3, 'standby')]
  t.equal(lastFailover(events)?.text, 'event 02')
  t.equal(lastFailover([event(0)]), undefined)
})
