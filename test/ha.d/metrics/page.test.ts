// The status page in Debian's chromium, headless, inside the node's network namespace: it loads, shows the
// pair and its groups, shows the failover as it happens (the page refreshes itself: it stays open across the
// power cut), and has nothing on its console (no script error, no CSP violation).
import t from 'tap'
import { until } from '../../../lib/wait.ts'
import { openPage, type Page } from '../../harness/browser.ts'
import { cluster } from '../../harness/cluster.ts'
import { METRICS_PORT } from '../../harness/metrics.ts'
import { atHome, powerCut } from '../../harness/scenario.ts'

/** One table's body, cell by cell, as the page shows it now. */
const table = (page: Page, id: string) => page.evaluate<string[][]>(`[...document.querySelectorAll('#${id} tbody tr')].map((r) => [...r.cells].map((c) => c.textContent))`)
// '' while the page is still loading
const text = (page: Page, id: string) => page.evaluate<string>(`document.getElementById('${id}')?.textContent ?? ''`)

t.test('the page shows the pair, then the failover as it happens, without a console message', async (t) => {
  const [a, b] = await cluster(t, { engineEnv: (node): Record<string, string> => (node === 'nodeb' ? { HALO_METRICS: `127.0.0.1:${METRICS_PORT}` } : {}) })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)

  const page = await openPage(t, b, `http://127.0.0.1:${METRICS_PORT}/`)
  await until('the page shows the pair', async () => (await text(page, 'state')).startsWith('this node holds: local'), 15_000)
  t.match(await text(page, 'node'), /^on nodeb /)
  t.same((await table(page, 'nodes')).map((r) => r.slice(0, 2)), [['nodea', 'active'], ['nodeb', 'active']])
  t.same(await table(page, 'groups'), [['nodea', 'hbtest::r1 hbtest::r2', '-'], ['nodeb', 'hbtest::r3', 'running']])
  t.same(await table(page, 'failovers'), [], 'no failover yet')

  // the same page, left open: it shows the failover by itself
  await powerCut(a)
  await until('the page shows the failover', async () => (await table(page, 'failovers')).length === 1, 20_000)
  const [failover] = await table(page, 'failovers')
  t.match(failover, [/\(nodea\)$/, 'nodea declared dead', /./, /^\d+\.\d s$/, 'foreign'])
  await until('the page shows nodeb holding everything', async () => (await text(page, 'state')).startsWith('this node holds: all'), 15_000)
  t.same((await table(page, 'nodes'))[0].slice(0, 2), ['nodea', 'dead'])
  t.same((await table(page, 'groups')).map((r) => r[2]), ['running', 'running'])
  t.match(await text(page, 'counters'), /1 peer death\(s\), 1 failover\(s\)/)
  t.same(page.console, [], 'nothing on the console')
})
