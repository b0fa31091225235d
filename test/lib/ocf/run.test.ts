// The runtime through a real built program: the Dummy fixture agent, bundled as the agents are.
import t from 'tap'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundle } from '../../../build.ts'
import { run } from '../../../lib/exec.ts'

const dir = mkdtempSync(join(tmpdir(), 'halo-run-'))
const agent = join(dir, 'Dummy')
const state = join(dir, 'state')
t.teardown(() => run(['rm', '-rf', dir]))
t.before(() => bundle(fileURLToPath(new URL('../../fixtures/Dummy.ts', import.meta.url)), agent))

const ocfEnv = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf', OCF_RESKEY_state: state, ...extra })
const ocf = (action: string, extra?: Record<string, string>) => run([agent, action], { env: ocfEnv(extra) })

t.test('OCF: start, monitor, stop are idempotent with the right codes', async (t) => {
  t.equal((await ocf('monitor')).code, 7, 'stopped: 7')
  t.equal((await ocf('stop')).code, 0, 'stop when stopped: 0')
  t.equal((await ocf('start')).code, 0)
  t.equal((await ocf('start')).code, 0, 'start when running: 0')
  t.equal((await ocf('monitor')).code, 0)
  t.equal((await ocf('status')).code, 0, 'status is monitor')
  t.equal((await ocf('stop')).code, 0)
  t.notOk(existsSync(state))
})

t.test('meta-data needs no environment and is valid against the OCF 1.0 DTD', async (t) => {
  const md = await run([agent, 'meta-data'], { env: {} })
  t.equal(md.code, 0)
  const file = join(dir, 'md.xml')
  writeFileSync(file, md.stdout)
  const lint = await run(['xmllint', '--noout', '--dtdvalid', '/usr/share/resource-agents/ra-api-1.dtd', file])
  t.equal(lint.code, 0, lint.stderr)
  t.match(md.stdout, /<parameter name="state" required="1" unique="1">/)
  t.match(md.stdout, /<content type="integer" default="3"\/>/)
  t.match(md.stdout, /<action name="monitor" timeout="20s" interval="10s" depth="10"\/>/)
})

t.test('meta-data declares no encoding: crmsh parses it as a text string with lxml, which refuses one', async (t) => {
  const md = await run([agent, 'meta-data'], { env: {} })
  t.equal(md.stdout.split('\n')[0], '<?xml version="1.0"?>')
  const lxml = await run(['/usr/bin/python3', '-c', 'import sys; from lxml import etree; etree.fromstring(sys.stdin.read())'], { input: md.stdout })
  t.equal(lxml.code, 0, lxml.stderr)
})

t.test('v1 ocf-parameters: the named parameters haresources\' arguments map onto, as JSON; a bad one: its code and reason', async (t) => {
  const ok = await run([agent, '/tmp/x', 'ocf-parameters'], { env: { PATH: process.env.PATH } })
  t.equal(ok.code, 0, ok.stderr)
  t.same(JSON.parse(ok.stdout), { state: '/tmp/x' })
  const none = await run([agent, 'ocf-parameters'], { env: { PATH: process.env.PATH } })
  t.match(none, { code: 6, stderr: /ocf-exit-reason:parameter state is required/ }, 'no argument at all: still the v1 form')
  const bad = await run([agent, '', 'ocf-parameters'], { env: { PATH: process.env.PATH } })
  t.equal(bad.code, 6)
  t.match(bad.stderr, /ocf-exit-reason:parameter state is required/)
})

t.test('unknown action 3; bad parameter 6 with the reason behind the exit-reason prefix', async (t) => {
  t.equal((await ocf('frobnicate')).code, 3)
  const bad = await ocf('start', { OCF_RESKEY_tries: 'many', OCF_EXIT_REASON_PREFIX: 'reason:' })
  t.equal(bad.code, 6)
  t.equal(bad.stderr, 'reason:parameter tries: "many" is not an integer\n')
  t.notOk(existsSync(state), 'nothing was started')
  const missing = await run([agent, 'validate-all'], { env: { PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf' } })
  t.equal(missing.code, 6)
  t.match(missing.stderr, /^ocf-exit-reason:parameter state is required/)
})

t.test('a missing program: 5, but a probe says not running', async (t) => {
  const start = await ocf('start', { OCF_RESKEY_needs: '/nonexistent/prog' })
  t.equal(start.code, 5)
  t.match(start.stderr, /\/nonexistent\/prog is not installed/)
  t.equal((await ocf('monitor', { OCF_RESKEY_needs: '/nonexistent/prog', OCF_RESKEY_CRM_meta_interval: '0' })).code, 7)
  t.equal((await ocf('monitor', { OCF_TESTER_FAIL_HAVE_BINARY: '1' })).code, 7, 'ocf-tester pretends binaries are missing')
  t.equal((await ocf('monitor', { OCF_RESKEY_needs: '/nonexistent/prog', OCF_RESKEY_CRM_meta_interval: '10000' })).code, 5)
})

t.test('a failing action keeps its code and says why', async (t) => {
  const r = await ocf('start', { OCF_RESKEY_fail: 'start' })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'ocf-exit-reason:start failed as asked\n')
})

t.test('OCF_CHECK_LEVEL falls back to the deepest level the agent has', async (t) => {
  await ocf('start')
  t.teardown(() => ocf('stop'))
  t.equal((await ocf('monitor', { OCF_CHECK_LEVEL: '20' })).stderr, 'depth 10\n')
  t.equal((await ocf('monitor', { OCF_CHECK_LEVEL: '10' })).stderr, 'depth 10\n')
  t.equal((await ocf('monitor', { OCF_CHECK_LEVEL: '5' })).stderr, 'depth 0\n')
})

t.test('Heartbeat v1: positional arguments, status words, LSB codes', async (t) => {
  const env = { PATH: process.env.PATH }
  const v1 = (action: string) => run([agent, state, action], { env })
  let r = await v1('status')
  t.same([r.stdout, r.code], ['stopped\n', 3])
  t.equal((await v1('start')).code, 0)
  r = await v1('status')
  t.same([r.stdout, r.code], ['running\n', 0])
  t.equal((await v1('stop')).code, 0)
  t.equal((await v1('status')).stdout, 'stopped\n')
  t.equal((await v1('monitor')).code, 3, 'v1 knows start, stop, status only')
  const bare = await run([agent, 'status'], { env })
  t.same([bare.stdout, bare.code], ['stopped\n', 3], 'one argument and no OCF environment: v1 (no state given: stopped)')
})

t.test('ocf_log convention: HA_LOGFILE gets the reason with tag and time stamp', async (t) => {
  const log = join(dir, 'agent.log')
  await ocf('start', { OCF_RESKEY_fail: 'start', HA_LOGFILE: log, OCF_RESOURCE_INSTANCE: 'r1' })
  const { readFileSync } = await import('node:fs')
  t.match(readFileSync(log, 'utf8'), /^Dummy\(r1\)\[\d+\]: \d{4}\/\d\d\/\d\d_\d\d:\d\d:\d\d ERROR: start failed as asked\n$/)
})
