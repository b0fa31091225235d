// HALO_METRICS and HALO_METRICS_TOKEN_FILE: off by default, loopback without a token, anything wider
// only with a root-only token file; halo-heartbeat refuses to start on a bad setting, naming it.
import t from 'tap'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../../lib/exec.ts'
import { metricsListen, metricsMon } from '../../../ha.d/metrics/listen.ts'
import { bin } from '../../harness/cluster.ts'

const dir = mkdtempSync(join(tmpdir(), 'halo-metrics-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const TOKEN = 'a-token-of-thirty-two-characters'
const tokenFile = join(dir, 'token')
writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 })
chmodSync(tokenFile, 0o600)

t.test('off unless HALO_METRICS is set', async (t) => {
  t.equal(metricsListen({}), undefined)
  t.equal(metricsListen({ HALO_METRICS: '' }), undefined)
})

t.test('loopback needs no token', async (t) => {
  t.same(metricsListen({ HALO_METRICS: '127.0.0.1:9664' }), { host: '127.0.0.1', port: 9664 })
  t.same(metricsListen({ HALO_METRICS: '[::1]:9664' }), { host: '::1', port: 9664 })
})

t.test('beyond loopback: refused without a token, the token read from its file', async (t) => {
  t.throws(() => metricsListen({ HALO_METRICS: '10.0.0.1:9664' }), { message: /HALO_METRICS=10\.0\.0\.1:9664: .*needs a token: set HALO_METRICS_TOKEN_FILE/, exitCode: 6 })
  t.throws(() => metricsListen({ HALO_METRICS: '0.0.0.0:9664' }), { message: /needs a token/ })
  t.same(metricsListen({ HALO_METRICS: '10.0.0.1:9664', HALO_METRICS_TOKEN_FILE: tokenFile }), { host: '10.0.0.1', port: 9664, token: TOKEN })
})

t.test('bad settings name the variable and never show the token', async (t) => {
  t.throws(() => metricsListen({ HALO_METRICS: 'localhost:9664' }), { message: /^HALO_METRICS=localhost:9664: give ADDRESS:PORT/ })
  t.throws(() => metricsListen({ HALO_METRICS: '127.0.0.1' }), { message: /give ADDRESS:PORT/ })
  t.throws(() => metricsListen({ HALO_METRICS: '127.0.0.1:70000' }), { message: /port 70000 is out of range/ })
  t.throws(() => metricsListen({ HALO_METRICS: '999.1.1.1:9664' }), { message: /999\.1\.1\.1 is not an IP address/ })
  const missing = join(dir, 'none')
  t.throws(() => metricsListen({ HALO_METRICS: '10.0.0.1:9664', HALO_METRICS_TOKEN_FILE: missing }), { message: new RegExp(`^HALO_METRICS_TOKEN_FILE=${missing}: ENOENT`) })
  const open = join(dir, 'open')
  writeFileSync(open, TOKEN)
  chmodSync(open, 0o644)
  t.throws(() => metricsListen({ HALO_METRICS: '10.0.0.1:9664', HALO_METRICS_TOKEN_FILE: open }), { message: /others can read it: chmod 600 it/ })
  const short = join(dir, 'short')
  writeFileSync(short, 'abc', { mode: 0o600 })
  chmodSync(short, 0o600)
  const e = t.throws(() => metricsListen({ HALO_METRICS: '10.0.0.1:9664', HALO_METRICS_TOKEN_FILE: short }), { message: /at least 16 characters/ }) as Error
  t.notMatch(e.message, /abc/, 'the token is not in the message')
})

t.test('halo-heartbeat refuses to start beyond loopback without a token, before reading anything', async (t) => {
  // no ha.cf at all: the metrics setting is checked first, so its error is the one shown
  const r = await run([process.execPath, bin('halo-heartbeat'), '-f', '-c', join(dir, 'no-such-dir')], { env: { ...process.env, HALO_METRICS: '10.251.0.1:9664', HALO_CONTROL: join(dir, 'sock') } })
  t.equal(r.code, 6)
  t.match(r.stderr, /HALO_METRICS=10\.251\.0\.1:9664: an address beyond loopback needs a token/)
  t.notMatch(r.stderr, /ha\.cf/, 'nothing else was tried')
})

t.test("HALO_METRICS_MON: where halo-mon is asked, mon's port unless set; a bad value named", async (t) => {
  t.same(metricsMon({}), { host: '127.0.0.1', port: 2583 })
  t.same(metricsMon({ HALO_METRICS_MON: '127.0.0.1:32583' }), { host: '127.0.0.1', port: 32583 })
  t.throws(() => metricsMon({ HALO_METRICS_MON: 'localhost:2583' }), { message: /^HALO_METRICS_MON=localhost:2583: give ADDRESS:PORT, such as 127\.0\.0\.1:2583/, exitCode: 6 })
  const r = await run([process.execPath, bin('halo-heartbeat'), '-f', '-c', join(dir, 'no-such-dir')], { env: { ...process.env, HALO_METRICS: '127.0.0.1:9664', HALO_METRICS_MON: '127.0.0.1:0', HALO_CONTROL: join(dir, 'sock') } })
  t.equal(r.code, 6)
  t.match(r.stderr, /HALO_METRICS_MON=127\.0\.0\.1:0: port 0 is out of range/)
  t.notMatch(r.stderr, /ha\.cf/, 'nothing else was tried')
})
