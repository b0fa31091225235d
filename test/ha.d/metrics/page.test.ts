// The status page in Debian's chromium, headless, inside the node's network namespace: it loads, shows the
// pair and its groups, shows the failover after a power cut, and logs nothing to the console (no script
// error, no CSP violation).
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { until } from '../../../lib/wait.ts'
import { cluster, type HaloNode } from '../../harness/cluster.ts'
import { METRICS_PORT } from '../../harness/metrics.ts'
import { atHome, powerCut, runsExactly, settled } from '../../harness/scenario.ts'

const URL = `http://127.0.0.1:${METRICS_PORT}/`

/** The page's DOM once its first poll has had time (virtual time: no real wait), and its console lines. */
async function load(node: HaloNode, profile: string): Promise<{ dom: string; console: string[] }> {
  const r = await node.vm.exec(
    ['chromium', '--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--virtual-time-budget=3000', '--dump-dom', URL],
    { timeout: 60_000 },
  )
  if (r.code !== 0) throw new Error(`chromium exited ${r.code}: ${r.stderr}`)
  return { dom: r.stdout, console: r.stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l)) }
}

/** The text of one table's body rows, cell by cell. */
const rows = (dom: string, id: string) =>
  [...(new RegExp(`<table id="${id}">.*?<tbody>(.*?)</tbody>`, 's').exec(dom)?.[1] ?? '').matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => [...m[1].matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((c) => c[1]))

t.test('the page shows the pair, then the failover after a power cut, without a console message', async (t) => {
  const profile = mkdtempSync(join(tmpdir(), 'halo-chromium-'))
  t.teardown(() => rmSync(profile, { recursive: true, force: true }))
  const [a, b] = await cluster(t, { engineEnv: (node): Record<string, string> => (node === 'nodeb' ? { HALO_METRICS: `127.0.0.1:${METRICS_PORT}` } : {}) })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)

  const before = await load(b, profile)
  t.same(before.console, [], 'no console message')
  t.match(before.dom, /<span id="node">on nodeb /)
  t.match(before.dom, /this node holds: local/)
  t.same(rows(before.dom, 'nodes').map((r) => r.slice(0, 2)), [['nodea', 'active'], ['nodeb', 'active']])
  t.same(rows(before.dom, 'groups'), [['nodea', 'hbtest::r1 hbtest::r2', '-'], ['nodeb', 'hbtest::r3', 'running']])
  t.same(rows(before.dom, 'failovers'), [], 'no failover yet')

  await powerCut(a)
  await until('nodeb runs everything', () => runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  await settled(b, 'all')
  const after = await load(b, profile)
  t.same(after.console, [], 'no console message')
  t.match(after.dom, /this node holds: all/)
  t.same(rows(after.dom, 'nodes')[0].slice(0, 2), ['nodea', 'dead'])
  t.same(rows(after.dom, 'groups').map((r) => r[2]), ['running', 'running'])
  const failovers = rows(after.dom, 'failovers')
  t.equal(failovers.length, 1, 'one failover')
  t.match(failovers[0], [/\(nodea\)$/, 'silent for its deadtime', /./, /^\d+\.\d s$/, 'hbtest::r1 hbtest::r2'])
  t.match(after.dom, /1 peer death\(s\), 1 failover\(s\)/)
})
