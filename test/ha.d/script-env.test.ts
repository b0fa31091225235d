// What the engine exports to resource scripts (HA_<name>) and answers to `cl_status hbparameter`: the
// ha.cf directives Heartbeat 3.0.6 records, never the whole-line ones (stonith_host with its password,
// respawn, apiauth…), nor node, the media or env.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../lib/exec.ts'
import { serveControl } from '../../ha.d/control.ts'
import { loadSettings, scriptEnvironment } from '../../ha.d/settings.ts'
import { bin } from '../harness/cluster.ts'

const PASSWORD = 's3cret-pw'
const dir = mkdtempSync(join(tmpdir(), 'halo-script-env-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
writeFileSync(
  join(dir, 'ha.cf'),
  [
    'keepalive 200ms', 'deadtime 1', 'initdead 3', 'bcast hb0', 'ucast hb1 10.250.0.2', 'node nodea nodeb', 'use_logd no', `logfile ${dir}/ha-log`,
    `stonith_host * external/ipmi nodeb 10.250.9.2 admin ${PASSWORD} lanplus`, 'respawn hacluster /usr/lib/heartbeat/ipfail',
    'apiauth ipfail uid=hacluster', 'env TOKEN=abc', 'crm off', '',
  ].join('\n'),
)
writeFileSync(join(dir, 'nodeinfo'), 'nodea\n')
writeFileSync(join(dir, 'haresources'), 'nodea 10.250.0.1\n')
writeFileSync(join(dir, 'authkeys'), 'auth 1\n1 sha1 k\n', { mode: 0o600 })
const settings = loadSettings(dir)

t.test('resource scripts get the recorded parameters only: no secret, no whole-line directive', async (t) => {
  const env = scriptEnvironment(settings, dir, { PATH: '/usr/bin:/bin' })
  t.match(env, { HA_keepalive: '200ms', HA_deadtime: '1', HA_CURHOST: 'nodea', HA_pacemaker: 'off', HA_hbversion: '3.0.6', HA_LOGFILE: `${dir}/ha-log` })
  for (const name of ['stonith_host', 'respawn', 'apiauth', 'node', 'bcast', 'ucast', 'env', 'crm']) t.notOk(`HA_${name}` in env, `no HA_${name}`)
  t.notMatch(Object.values(env).join('\n'), PASSWORD, "the device's password is in no variable")
  t.notOk('HA_TOKEN' in env, 'env lines are for respawned clients only, as in Heartbeat')
})

t.test('cl_status hbparameter answers as Heartbeat: no value for a whole-line directive, crm is pacemaker', async (t) => {
  const socket = join(dir, 'engine.sock')
  const status = { version: '3.0.6', node: 'nodea', nodes: [], resources: 'all', parameters: settings.config.parameters }
  const server = await serveControl(socket, async () => ({ ok: true, status }))
  t.teardown(() => server.close())
  const cl = (name: string) => run([bin('cl_status'), 'hbparameter', '-p', name], { env: { PATH: process.env.PATH, HALO_CONTROL: socket }, timeout: 10_000 })
  for (const name of ['stonith_host', 'respawn', 'apiauth', 'node', 'env']) {
    const r = await cl(name)
    t.same([r.code, r.stdout], [1, ''], `${name}: no value`)
    t.match(r.stderr, `Cannot get parameter ${name}'s value`)
  }
  t.same([(await cl('crm')).stdout, (await cl('keepalive')).stdout, (await cl('hbversion')).stdout], ['off\n', '200ms\n', '3.0.6\n'])
})
