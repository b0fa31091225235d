// halo's agents under Pacemaker's own tools: crm_resource reads their meta-data and runs validate-all
// through a provider of this test's own (so the agents just built answer), and crm_verify accepts a CIB
// of the classic stack in ocf:halo agents.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { run } from '../../lib/exec.ts'
import { agentPath, ocfProvider } from '../harness/agent.ts'
import { atEnd } from '../harness/cleanup.ts'

/** Parameters validate-all accepts on any host, touching nothing, and the parameter each one requires. */
const AGENTS: Record<string, { good: Record<string, string>; required?: string }> = {
  IPaddr: { good: { ip: '127.0.0.2', cidr_netmask: '8', nic: 'lo' }, required: 'ip' },
  Filesystem: { good: { device: '/tmp', directory: '/mnt', fstype: 'none', options: 'bind' }, required: 'device' },
  mysql: { good: {} },
  appserver: { good: { binary: '/bin/sleep' } },
  drbd: { good: {}, required: 'drbd_resource' },
  drbddisk: { good: {} },
}

const options = (params: Record<string, string>) => Object.entries(params).flatMap(([k, v]) => ['--option', `${k}=${v}`])

t.test('crm_resource --show-metadata prints each agent\'s own meta-data', async (t) => {
  const provider = await ocfProvider(t)
  for (const name of Object.keys(AGENTS)) {
    const shown = await run(['crm_resource', '--show-metadata', `ocf:${provider}:${name}`])
    const own = await run([agentPath(name), 'meta-data'])
    t.equal(shown.code, 0, `${name}: crm_resource exits 0`)
    t.match(shown.stdout, new RegExp(`<resource-agent name="${name}"`), `${name}: its resource-agent element`)
    t.equal(shown.stdout.trim(), own.stdout.trim(), `${name}: what the agent itself prints`)
  }
})

t.test('crm_resource --validate: accepted parameters pass, a missing required one is named', async (t) => {
  const provider = await ocfProvider(t)
  const validate = (name: string, params: Record<string, string>) =>
    run(['crm_resource', '--validate', '--class', 'ocf', '--provider', provider, '--agent', name, ...options(params)])
  for (const [name, { good, required }] of Object.entries(AGENTS)) {
    if (name !== 'drbd') t.equal((await validate(name, good)).code, 0, `${name} ${JSON.stringify(good)}: valid`)
    if (!required) continue
    const bad = await validate(name, {})
    t.equal(bad.code, 6, `${name} without ${required}: not configured (6)`)
    t.match(bad.stdout + bad.stderr, new RegExp(`parameter ${required} is required`), `${name}: the reason names ${required}`)
  }
  const typo = await validate('IPaddr', { ip: '10.0.0.300' })
  t.equal(typo.code, 6, 'IPaddr ip=10.0.0.300: not configured')
  t.match(typo.stdout + typo.stderr, /10\.0\.0\.300/, 'the reason quotes the value')
})

/** The classic stack in Pacemaker's words: DRBD promoted on one node, then filesystem, IP, MariaDB, app. */
const cib = (group: string) => `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/></cluster_property_set>
    </crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <clone id="data-clone">
        <meta_attributes id="data-clone-meta">
          <nvpair id="data-promotable" name="promotable" value="true"/>
          <nvpair id="data-promoted-max" name="promoted-max" value="1"/>
        </meta_attributes>
        <primitive id="data" class="ocf" provider="halo" type="drbd">
          <instance_attributes id="data-ia"><nvpair id="data-res" name="drbd_resource" value="r0"/></instance_attributes>
          <operations>
            <op id="data-mon-p" name="monitor" interval="29s" role="Promoted"/>
            <op id="data-mon-u" name="monitor" interval="31s" role="Unpromoted"/>
          </operations>
        </primitive>
      </clone>
      ${group}
    </resources>
    <constraints>
      <rsc_colocation id="service-on-data" rsc="service" with-rsc="data-clone" with-rsc-role="Promoted" score="INFINITY"/>
      <rsc_order id="data-before-service" first="data-clone" first-action="promote" then="service" then-action="start"/>
    </constraints>
  </configuration>
  <status/>
</cib>
`

const primitive = (id: string, type: string, params: Record<string, string>) => `<primitive id="${id}" class="ocf" provider="halo" type="${type}">
          <instance_attributes id="${id}-ia">${Object.entries(params).map(([k, v]) => `<nvpair id="${id}-${k}" name="${k}" value="${v}"/>`).join('')}</instance_attributes>
          <operations><op id="${id}-mon" name="monitor" interval="10s" timeout="20s"/></operations>
        </primitive>`

t.test('crm_verify accepts a CIB of ocf:halo agents, and still rejects a broken one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-cib-'))
  atEnd(t, ['rm', '-rf', dir])
  const group = `<group id="service">
        ${primitive('fs', 'Filesystem', { device: '/dev/drbd0', directory: '/srv/ha', fstype: 'ext4' })}
        ${primitive('vip', 'IPaddr', { ip: '192.0.2.10', cidr_netmask: '24' })}
        ${primitive('db', 'mysql', { datadir: '/srv/ha/mysql' })}
        ${primitive('app', 'appserver', { init_script: '/srv/ha/app/bin/appserver', pid: '/srv/ha/app/appserver.pid', ports: '8080' })}
      </group>`
  const good = join(dir, 'good.xml')
  writeFileSync(good, cib(group))
  const ok = await run(['crm_verify', '--xml-file', good])
  t.equal(ok.code, 0, `crm_verify: ${ok.stdout}${ok.stderr}`)
  // the same CIB with a primitive that lost its type: proof that crm_verify really checked the file
  const broken = join(dir, 'broken.xml')
  writeFileSync(broken, cib(group.replace(' type="mysql"', '')))
  const bad = await run(['crm_verify', '--xml-file', broken])
  t.not(bad.code, 0, 'a primitive without a type is refused')
})
