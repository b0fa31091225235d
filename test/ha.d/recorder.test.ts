// What the engine's recorder makes of the transitions: which are failovers, their timelines, the words.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Journal, readHistory } from '../../ha.d/history.ts'
import { Recorder, startedWords } from '../../ha.d/recorder.ts'

function recorder(t: { teardown(f: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'halo-recorder-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'history.jsonl')
  const journal = new Journal(path)
  t.teardown(() => journal.close())
  return { rec: new Recorder('nodeb', journal), events: () => readHistory(path) }
}

const fence = { target: 'nodea', device: 'external/ipmi', where: 'ha.cf:12', action: 'reset', ms: 40, ok: true, said: '', at: new Date().toISOString() }

t.test('a death, a fence, the groups started: one takeover with its steps in order', async (t) => {
  const { rec, events } = recorder(t)
  rec.nodeDead('nodea', 1020, 1000)
  rec.fence(fence)
  rec.groupsTaken('foreign')
  rec.started({ script: 'IPaddr', args: ['10.0.0.5/24/eth0'] })
  rec.transitionDone('take over')
  const [dead, fenced, takeover] = events()
  t.match(dead, { kind: 'node-dead', node: 'nodeb', peer: 'nodea', text: 'node nodea is dead (silent for 1020 ms; deadtime 1000 ms)' })
  t.match(fenced, { kind: 'fence', ok: true, ms: 40, text: 'fenced nodea: reset through external/ipmi (ha.cf:12), confirmed in 40 ms' })
  t.match(takeover, { kind: 'takeover', set: 'foreign', cause: 'nodea declared dead', ok: true })
  const steps = takeover.timeline!.map((s) => s.what)
  t.same(steps, ['last heartbeat from nodea', 'node nodea declared dead (deadtime 1000 ms)', fenced.text, 'virtual IP 10.0.0.5 up', 'everything running: the service answers here'])
  t.ok(takeover.timeline![1].ms >= 1020, 'declared dead its silence after the last heartbeat')
})

t.test('a failed start marks the takeover as not whole, and is an event of its own', async (t) => {
  const { rec, events } = recorder(t)
  rec.peerShutdown('nodea')
  rec.groupsTaken('foreign')
  rec.groupsTaken('local')
  rec.failed({ script: 'mysql', args: [] }, 'start', 'exit code 1')
  rec.transitionDone('take over from a node that shut down')
  const [failed, takeover] = events()
  t.match(failed, { kind: 'start-failed', resource: 'mysql', text: 'mysql failed to start: exit code 1' })
  t.match(takeover, { kind: 'takeover', set: 'all', ok: false, cause: 'nodea shut down', text: /; a resource failed to start$/ })
})

t.test('transitions that are not failovers record no takeover', async (t) => {
  const { rec, events } = recorder(t)
  rec.transitionDone('take over')
  rec.nodeDead('nodea', 1000, 1000)
  rec.nodeUp('nodea')
  rec.transitionDone('take over')
  rec.peerStandby('nodea', 'all')
  rec.transitionDone('standby')
  rec.standby('all', 'hb_standby')
  rec.transitionDone('standby takeover')
  t.same(events().map((e) => e.kind), ['node-dead', 'node-up', 'standby'])
})

t.test("a node found powered off, and the demo's words for the resources", async (t) => {
  const { rec, events } = recorder(t)
  rec.fence({ ...fence, action: 'status', said: 'power is off' })
  t.equal(events()[0].text, 'nodea found powered off by external/ipmi (ha.cf:12) in 40 ms: counted as fenced')
  t.equal(startedWords({ script: 'drbddisk', args: ['r0'] }), 'DRBD disk r0 primary')
  t.equal(startedWords({ script: 'Filesystem', args: ['/dev/drbd0', '/srv/ha', 'ext4'] }), 'data disk /dev/drbd0 mounted on /srv/ha')
  t.equal(startedWords({ script: 'mysql', args: [] }), 'database started')
  t.equal(startedWords({ script: 'hbtest', args: ['r1'] }), 'hbtest::r1 started')
})

t.test('a peer never heard from at start: a start alone, not a failover', async (t) => {
  const { rec, events } = recorder(t)
  rec.nodeDead('nodea', undefined, 1000)
  rec.groupsTaken('local')
  rec.groupsTaken('foreign')
  rec.transitionDone('take over')
  const [dead, alone] = events()
  t.match(dead, { kind: 'node-dead', text: 'node nodea is not up (never heard from since this node started)' })
  t.match(alone, { kind: 'start-alone', set: 'all', ok: true, text: /^started without nodea and took \[all\] in \d+ ms$/ })
  t.same(alone.timeline!.map((s) => s.what), ['node nodea not heard from since this node started', 'everything running: the service answers here'])
})
