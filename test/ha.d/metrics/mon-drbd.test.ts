// halo-mon's services and DRBD's states in the metrics of a virtual node: absent while neither runs; with
// halo-mon running in the node (a service that answers, one that does not) and the DRBD double on the
// engine's HA_DRBDADM, they follow what moncmd and drbdadm say: both connected, a resync's progress, the link
// cut, halo-mon stopped.
import t from 'tap'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runOk } from '../../../lib/exec.ts'
import { until } from '../../../lib/wait.ts'
import { bin, cluster } from '../../harness/cluster.ts'
import { METRICS_PORT, sample, scrape } from '../../harness/metrics.ts'
import { atHome } from '../../harness/scenario.ts'
import { drbdPair } from '../../drbd/pair.ts'
import { DEBIAN_AUTH_CF, globals } from '../../fixtures/mon/daemon.ts'

const METRICS = `http://127.0.0.1:${METRICS_PORT}/metrics`

t.test("halo-mon's services and DRBD's states", async (t) => {
  const pair = await drbdPair(t, { names: ['nodea', 'nodeb'] })
  // nodeb's engine finds the double as drbddisk would: HA_DRBDADM, HA_DRBDCONF, HA_PROC_DRBD
  const [a, b] = await cluster(t, { engineEnv: (node): Record<string, string> => (node === 'nodeb' ? { HALO_METRICS: `127.0.0.1:${METRICS_PORT}`, ...pair.beta.v1env } : {}) })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  // a scrape that shows what `ready` wants (the readings are cached for up to 5 s)
  const scrapeUntil = async (what: string, ready: (text: string) => boolean) => {
    let text = ''
    await until(what, async () => ready((text = (await scrape(b, METRICS)).body)), 20_000)
    return text
  }

  const none = await scrapeUntil('a scrape', (x) => x.includes('halo_node_state'))
  t.notMatch(none, /^halo_mon_/m, 'no halo-mon running: no halo_mon_ metric')
  t.notMatch(none, /^ha_cluster_drbd_|^halo_drbd_/m, 'no DRBD resource up: no DRBD metric')

  // halo-mon in nodeb, on mon's port 2583 of its loopback: the metrics endpoint answers, port 1 does not
  const dir = mkdtempSync(join(tmpdir(), 'halo-metrics-mon-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  copyFileSync(DEBIAN_AUTH_CF, join(dir, 'auth.cf'))
  writeFileSync(
    join(dir, 'mon.cf'),
    `${globals(dir)}serverbind = 127.0.0.1\n\nhostgroup loop 127.0.0.1\n\nwatch loop\n    service metrics\n        interval 1s\n        monitor tcp.monitor -p ${METRICS_PORT} -t 1\n    service closed\n        interval 1s\n        monitor tcp.monitor -p 1 -t 1\n`,
  )
  await runOk(b.vm.enter([process.execPath, bin('halo-mon'), '-f', '-c', join(dir, 'mon.cf'), '-P', join(dir, 'mon.pid')]), { timeout: 20_000 })
  for (const n of [pair.alpha, pair.beta]) await runOk([n.drbdadm, 'up', 'r0'])
  await runOk([pair.beta.drbdadm, 'primary', 'r0'])

  const up = await scrapeUntil('both services checked, DRBD up', (x) => sample(x, 'halo_mon_service_ok', { service: 'closed' }) === 0 && sample(x, 'halo_mon_service_ok', { service: 'metrics' }) === 1 && sample(x, 'ha_cluster_drbd_resources') === 1)
  t.equal(sample(up, 'halo_mon_service', { group: 'loop', service: 'metrics', opstatus: 'ok' }), 1)
  t.equal(sample(up, 'halo_mon_service', { group: 'loop', service: 'closed', opstatus: 'fail' }), 1)
  const checked = sample(up, 'halo_mon_service_last_check_timestamp_seconds', { service: 'metrics' })!
  t.ok(checked > Date.now() / 1000 - 60 && checked <= Date.now() / 1000, `the last check's time (${checked}) is recent`)
  t.equal(sample(up, 'ha_cluster_drbd_resources', { resource: 'r0', role: 'primary', volume: '0', disk_state: 'uptodate' }), 1, 'r0 Primary, UpToDate on nodeb')
  t.equal(sample(up, 'ha_cluster_drbd_connections', { resource: 'r0', peer: 'nodea', peer_role: 'secondary', peer_disk_state: 'uptodate' }), 1)
  t.equal(sample(up, 'halo_drbd_connection_state', { resource: 'r0', peer: 'nodea', state: 'connected' }), 1)
  t.equal(sample(up, 'ha_cluster_drbd_connections_sync', { resource: 'r0', peer: 'nodea' }), 100, 'in sync')

  // nodea's disk resynchronised from nodeb: the progress
  pair.edit((r) => {
    r.nodes.nodea.disk = 'Inconsistent'
    r.synced = 37.5
  })
  const resync = await scrapeUntil('the resync seen', (x) => sample(x, 'ha_cluster_drbd_connections_sync', { peer: 'nodea' }) === 37.5)
  t.equal(sample(resync, 'ha_cluster_drbd_connections', { peer: 'nodea', peer_disk_state: 'inconsistent' }), 1)

  // the replication link cut: connecting, the peer unknown, no sync figure
  await pair.cutLink()
  const apart = await scrapeUntil('the link cut seen', (x) => sample(x, 'halo_drbd_connection_state', { peer: 'nodea', state: 'connecting' }) === 1)
  t.equal(sample(apart, 'ha_cluster_drbd_connections', { peer: 'nodea', peer_role: 'unknown', peer_disk_state: 'dunknown' }), 1)
  t.equal(sample(apart, 'ha_cluster_drbd_connections_sync', { peer: 'nodea' }), undefined, 'no sync figure while apart')

  // halo-mon stopped: its metrics go, the rest stays
  await runOk(b.vm.enter(['kill', readFileSync(join(dir, 'mon.pid'), 'utf8').trim()]))
  const gone = await scrapeUntil('halo-mon gone', (x) => !/^halo_mon_/m.test(x))
  t.equal(sample(gone, 'halo_drbd_connection_state', { peer: 'nodea', state: 'connecting' }), 1, 'DRBD still shown')
})
