// halo status shows the failures the engine counted (JSON by its schema, the screen, XML); halo restart
// and halo cleanup say so when no engine runs.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { ask, controlSocket } from '../../ha.d/control.ts'
import type { StatusReport } from '../../ops/status/collect.ts'
import { bin, cluster } from '../harness/cluster.ts'
import { atHome } from '../harness/scenario.ts'
import { violations } from './status/schema.ts'

const schema = JSON.parse(readFileSync(new URL('../../ops/status/status.schema.json', import.meta.url), 'utf8'))

t.test('the failures counted in halo status; halo restart without an engine', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  const answer = await ask({ op: 'recover', resource: 'hbtest::r2', by: 'the test' }, a.vm.path(controlSocket({})), 60_000)
  t.match(answer, { ok: true, message: /^hbtest::r2 restarted in place/ })

  const json = await a.vm.exec([bin('halo'), 'status', '--output-as=json'], { timeout: 30_000 })
  const r = JSON.parse(json.stdout) as StatusReport
  t.same(violations(schema, r), [], 'the JSON follows status.schema.json')
  const [r1, r2] = r.groups[0].resources
  t.same(r1.failures, { count: 0, threshold: 3, windowMs: 600_000, at: [] }, 'the policy without recovery.cf')
  t.match(r2, { name: 'hbtest::r2', state: 'running', failures: { count: 1, threshold: 3, windowMs: 600_000 } })
  t.ok(Date.parse(r2.failures!.at[0]) <= Date.parse(r.time), 'the failure is dated')
  t.equal(r.groups[1].resources[0].failures?.count, 0, "the peer's group too")

  const text = await a.vm.exec([bin('halo'), 'status'], { timeout: 30_000 })
  t.match(text.stdout, /\n {6}hbtest::r1 {2}running on nodea\n {6}hbtest::r2 {2}running on nodea; 1 failure\(s\) \(migration-threshold 3 within 10min\), last at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\n/)
  const xml = await a.vm.exec([bin('halo'), 'status', '--output-as=xml'], { timeout: 30_000 })
  t.match(xml.stdout, /<resource name="hbtest::r1" state="running"\/>\n {6}<resource name="hbtest::r2" state="running" fail-count="1" migration-threshold="3" failure-timeout-ms="600000" last-failure="[^"]+"\/>/)

  await a.stop()
  for (const args of [['restart', 'hbtest::r2'], ['cleanup']]) {
    const r = await a.vm.exec([bin('halo'), ...args])
    t.equal(r.code, 3, `halo ${args.join(' ')}: exit 3`)
    t.equal(r.stderr, 'halo: no halo-heartbeat runs on this node (nothing answers on /run/halo/heartbeat.sock)\n')
  }
  const usage = await a.vm.exec([bin('halo'), 'restart'])
  t.equal(usage.code, 2)
  t.match(usage.stderr, /Not enough non-option arguments/)
})
