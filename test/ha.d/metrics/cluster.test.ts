// The endpoint in a two-node virtual cluster: off unless set, on loopback it answers, beyond loopback only
// with the token; its values follow the pair (both up; a power cut: node down, one failover with its
// duration, the groups held by the survivor).
import t from 'tap'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClusterView } from '../../../ha.d/metrics/exposition.ts'
import { until } from '../../../lib/wait.ts'
import { cluster } from '../../harness/cluster.ts'
import { METRICS_PORT, sample, scrape } from '../../harness/metrics.ts'
import { atHome, powerCut, runsExactly, settled } from '../../harness/scenario.ts'

const LOOPBACK = `http://127.0.0.1:${METRICS_PORT}`

t.test('off by default; on loopback the values follow a power cut and its failover', async (t) => {
  const [a, b] = await cluster(t, { engineEnv: (node): Record<string, string> => (node === 'nodeb' ? { HALO_METRICS: `127.0.0.1:${METRICS_PORT}` } : {}) })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  const off = await scrape(a, `${LOOPBACK}/metrics`)
  t.equal(off.status, 0, 'nothing answers on nodea, which has no HALO_METRICS')
  t.equal(off.curl, 7, 'curl: connection refused')
  t.notMatch(a.haLog(), /metrics/, 'nodea says nothing of metrics')
  t.match(b.haLog(), new RegExp(`metrics and the status page on http://127\\.0\\.0\\.1:${METRICS_PORT}/`))

  // both up
  const up = await scrape(b, `${LOOPBACK}/metrics`)
  t.equal(up.status, 200)
  for (const node of ['nodea', 'nodeb']) t.equal(sample(up.body, 'ha_cluster_pacemaker_nodes', { node, status: 'online' }), 1, `${node} online`)
  t.equal(sample(up.body, 'halo_node_state', { node: 'nodea', state: 'active' }), 1)
  t.equal(sample(up.body, 'halo_link_up', { node: 'nodea', link: 'eth0' }), 1)
  t.equal(sample(up.body, 'halo_resources_held', { state: 'local' }), 1)
  t.equal(sample(up.body, 'ha_cluster_pacemaker_resources', { resource: 'hbtest::r3', role: 'started' }), 1, 'r3 started on nodeb')
  t.equal(sample(up.body, 'ha_cluster_pacemaker_resources', { resource: 'hbtest::r1', role: 'stopped' }), 1, 'r1 not here')
  t.equal(sample(up.body, 'halo_failovers_total'), 0)
  t.equal(sample(up.body, 'halo_peer_deaths_total'), 0)
  t.equal(sample(up.body, 'ha_cluster_pacemaker_stonith_enabled'), 0)
  const generation = sample(up.body, 'halo_node_generation', { node: 'nodea' })
  t.ok(generation !== undefined && generation > 0, 'nodea\'s generation is known')

  // the power cut: nodea dead, its group started on nodeb, one failover with its duration
  await powerCut(a)
  await until('nodeb runs everything', () => runsExactly(b, ['r1', 'r2', 'r3']), 15_000)
  await settled(b, 'all')
  let down = ''
  await until('nodeb counts the failover', async () => sample((down = (await scrape(b, `${LOOPBACK}/metrics`)).body), 'halo_failovers_total') === 1, 10_000)
  t.equal(sample(down, 'ha_cluster_pacemaker_nodes', { node: 'nodea', status: 'online' }), 0, 'nodea offline')
  t.equal(sample(down, 'halo_node_state', { node: 'nodea', state: 'dead' }), 1)
  t.equal(sample(down, 'halo_link_up', { node: 'nodea', link: 'eth0' }), 0)
  t.equal(sample(down, 'halo_peer_deaths_total'), 1)
  t.equal(sample(down, 'halo_resources_held', { state: 'all' }), 1)
  t.equal(sample(down, 'ha_cluster_pacemaker_resources', { resource: 'hbtest::r1', role: 'started' }), 1, 'r1 started on nodeb')
  t.equal(sample(down, 'halo_failover_duration_seconds_count'), 1)
  const seconds = sample(down, 'halo_failover_duration_seconds_sum')!
  t.ok(seconds > 0, `the failover took ${seconds} s`)
  t.equal(sample(down, 'halo_failover_duration_seconds_bucket', { le: '+Inf' }), 1)
  t.equal(sample(down, 'halo_false_deaths_total'), 0)
  const json = JSON.parse((await scrape(b, `${LOOPBACK}/status.json`)).body) as ClusterView
  t.equal(json.failovers.length, 1)
  t.match(json.failovers[0], { peer: 'nodea', why: 'nodea declared dead', set: 'foreign' })
  t.equal(json.failovers[0].durationMs / 1000, seconds, 'the page and the histogram tell the same duration')
})

t.test('beyond loopback: only with the token, which the peer can present', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-metrics-token-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const token = 'token-for-the-metrics-of-nodea-0123456789'
  const tokenFile = join(dir, 'token')
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 })
  chmodSync(tokenFile, 0o600)
  const header = join(dir, 'header')
  writeFileSync(header, `Authorization: Bearer ${token}\n`, { mode: 0o600 })
  const [a, b] = await cluster(t, { engineEnv: (node): Record<string, string> => (node === 'nodea' ? { HALO_METRICS: `10.251.0.1:${METRICS_PORT}`, HALO_METRICS_TOKEN_FILE: tokenFile } : {}) })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  const url = `http://10.251.0.1:${METRICS_PORT}`
  t.equal((await scrape(b, `${url}/metrics`)).status, 401, 'nodeb without the token: refused')
  const ok = await scrape(b, `${url}/metrics`, header)
  t.equal(ok.status, 200, 'nodeb with the token: served')
  t.equal(sample(ok.body, 'ha_cluster_pacemaker_nodes', { node: 'nodeb', status: 'online' }), 1)
  t.equal((await scrape(a, `${LOOPBACK}/metrics`)).curl, 7, 'not on loopback: it listens where it was told only')
  t.notMatch(a.haLog(), new RegExp(token), 'the token is not in the log')
  t.match(a.haLog(), /bearer token required/)
})
