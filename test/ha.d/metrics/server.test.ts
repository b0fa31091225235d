// The endpoint itself, on loopback with a view made up here: the exposition's names and values, the
// bearer token, read-only, the CSP. The cluster tests (cluster.test.ts) check the values follow the pair.
import t, { type Test } from 'tap'
import type { AddressInfo } from 'node:net'
import type { ClusterView } from '../../../ha.d/metrics/exposition.ts'
import { serveMetrics } from '../../../ha.d/metrics/server.ts'
import { Tally } from '../../../ha.d/metrics/tally.ts'

const TOKEN = 'a-token-of-thirty-two-characters'

function view(tally: Tally): ClusterView {
  return {
    version: '3.0.6 (halo 0.1.0)',
    node: 'nodeb',
    at: new Date().toISOString(),
    nodes: [
      { name: 'nodea', type: 'normal', status: 'dead', generation: 7, links: [{ iface: 'eth0', status: 'dead' }] },
      { name: 'nodeb', type: 'normal', status: 'active', links: [{ iface: 'eth0', status: 'up' }] },
      { name: '10.0.0.254', type: 'ping', status: 'ping', links: [{ iface: '10.0.0.254', status: 'up' }] },
    ],
    resources: 'all',
    groups: [{ owner: 'nodea', held: true, resources: [{ id: 'hbtest::r1', agent: 'hbtest' }] }, { owner: 'nodeb', held: true, resources: [{ id: 'IPaddr::10.0.0.10/24/eth0', agent: 'IPaddr' }] }],
    stonith: true,
    counters: { deaths: tally.deaths, falseDeaths: tally.falseDeaths, fences: { ...tally.fences }, failovers: tally.failovers, failoverSeconds: tally.failoverSeconds, buckets: [...tally.buckets] },
    failovers: tally.lastFailovers(),
  }
}

async function serve(t: Test, token?: string) {
  const tally = new Tally()
  const server = await serveMetrics({ host: '127.0.0.1', port: 0, token }, async () => view(tally))
  t.teardown(() => {
    server.close()
    server.closeAllConnections()
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { tally, url }
}

t.test('the exposition: ha_cluster_exporter names where they mean the same, a histogram of failovers', async (t) => {
  const { tally, url } = await serve(t)
  const at = new Date().toISOString()
  tally.seen({ at, node: 'nodeb', kind: 'node-dead', peer: 'nodea', ms: 1020, text: 'node nodea is dead' })
  tally.seen({ at, node: 'nodeb', kind: 'node-dead', peer: 'nodea', text: 'node nodea left the cluster' })
  tally.seen({ at, node: 'nodeb', kind: 'fence', peer: 'nodea', ok: true, ms: 900, text: 'fenced nodea' })
  tally.seen({ at, node: 'nodeb', kind: 'takeover', peer: 'nodea', set: 'foreign', cause: 'nodea declared dead', ms: 1381, text: 'took over' })
  tally.seen({ at, node: 'nodeb', kind: 'partition-healed', peer: 'nodea', text: 'partition healed' })
  const r = await fetch(`${url}/metrics`)
  t.equal(r.status, 200)
  t.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await r.text()
  t.match(text, /^ha_cluster_pacemaker_nodes\{node="nodea",type="member",status="online"\} 0$/m)
  t.match(text, /^ha_cluster_pacemaker_nodes\{node="nodeb",type="member",status="online"\} 1$/m)
  t.match(text, /^ha_cluster_pacemaker_nodes\{node="10\.0\.0\.254",type="ping",status="online"\} 1$/m)
  t.match(text, /^halo_node_state\{node="nodea",state="dead"\} 1$/m)
  t.match(text, /^halo_node_generation\{node="nodea"\} 7$/m)
  t.match(text, /^halo_link_up\{node="nodea",link="eth0"\} 0$/m)
  t.match(text, /^ha_cluster_pacemaker_resources\{node="nodeb",resource="hbtest::r1",agent="hbtest",group="nodea",role="started",status="active",managed="true"\} 1$/m)
  t.match(text, /^halo_resources_held\{state="all"\} 1$/m)
  t.match(text, /^ha_cluster_pacemaker_stonith_enabled 1$/m)
  t.match(text, /^halo_peer_deaths_total 1$/m)
  t.match(text, /^halo_fences_total\{result="ok"\} 1$/m)
  t.match(text, /^halo_false_deaths_total 1$/m)
  t.match(text, /^halo_failovers_total 1$/m)
  t.match(text, /^halo_failover_duration_seconds_bucket\{le="\+Inf"\} 1$/m)
  t.match(text, /^halo_failover_duration_seconds_count 1$/m)
  t.match(text, /^halo_failover_duration_seconds_bucket\{le="1"\} 0$/m)
  t.match(text, /^halo_failover_duration_seconds_bucket\{le="2"\} 1$/m)
  t.match(text, /^halo_failover_duration_seconds_sum 1\.381$/m)
  // every sample line is NAME{labels} VALUE, every metric has its HELP and TYPE
  for (const line of text.trim().split('\n').filter((l) => !l.startsWith('#'))) t.match(line, /^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/, line)
  const names = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2]))
  for (const n of names) t.match(text, new RegExp(`^# HELP ${n} `, 'm'))
  const json = (await (await fetch(`${url}/status.json`)).json()) as ClusterView
  t.equal(json.failovers.length, 1)
  t.match(json.failovers[0], { peer: 'nodea', why: 'nodea declared dead', set: 'foreign', durationMs: 1381 })
})

t.test('with a token: data only for its bearer; the page (no data) for anyone', async (t) => {
  const { url } = await serve(t, TOKEN)
  for (const path of ['/metrics', '/status.json']) {
    t.equal((await fetch(`${url}${path}`)).status, 401, `${path} without the token`)
    t.equal((await fetch(`${url}${path}`, { headers: { Authorization: 'Bearer wrong' } })).status, 401, `${path} with a wrong one`)
    t.equal((await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200, `${path} with it`)
  }
  const page = await fetch(`${url}/`)
  t.equal(page.status, 200)
  t.notMatch(await page.text(), /nodea/, 'the page holds no data')
})

t.test('read-only, and the page locked down by its CSP', async (t) => {
  const { url } = await serve(t)
  const post = await fetch(`${url}/metrics`, { method: 'POST', body: 'x' })
  t.equal(post.status, 405)
  t.equal(post.headers.get('allow'), 'GET, HEAD')
  t.equal((await fetch(`${url}/nothing`)).status, 404)
  const page = await fetch(`${url}/`)
  const csp = page.headers.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'none'/)
  t.match(csp, /script-src 'self'/)
  t.notMatch(csp, /unsafe-inline/)
  const html = await page.text()
  t.notMatch(html, /<script>|style=|https?:\/\//, 'nothing inline, nothing external')
  for (const asset of ['/status.js', '/status.css']) t.equal((await fetch(`${url}${asset}`)).status, 200, asset)
})

t.test('a view that fails: this scrape answers 500 with the reason, the server goes on', async (t) => {
  let fail = true
  const tally = new Tally()
  const server = await serveMetrics({ host: '127.0.0.1', port: 0 }, async () => {
    if (fail) throw new Error('drbdadm exploded')
    return view(tally)
  })
  t.teardown(() => {
    server.close()
    server.closeAllConnections()
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
  const bad = await fetch(url)
  t.equal(bad.status, 500)
  t.equal(await bad.text(), "halo could not read the pair's state: drbdadm exploded\n")
  fail = false
  t.equal((await fetch(url)).status, 200, 'the next scrape is served')
})
