// The crm shell form, loaded by the real crmsh (Debian 12's 4.4) into a CIB file, offline: crmsh checks each
// resource against its agent's meta-data (this build's agents), and the result means what cib.xml means.
import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../../lib/exec.ts'
import { convert, type ConvertOptions } from '../../../ops/convert/convert.ts'
import { agentsDir, emptyCib, example, fixtureRoot, meaning, verifyCib, withAgents } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'halo-convert-crm-'))
t.teardown(() => run(['rm', '-rf', dir]))

async function loadWithCrm(t: Test, name: string, o: ConvertOptions, nodes: string[], initD = '-'): Promise<void> {
  const crm = await convert({ ...o, to: 'crm' })
  const cib = await convert({ ...o, to: 'cib' })
  t.equal(crm.resources.file, 'resources.crm')
  const script = join(dir, `${name}.crm`)
  writeFileSync(script, crm.resources.text)
  const file = join(dir, `${name}.xml`)
  await emptyCib(file, nodes)
  const top = join(dir, `${name}-ocf`)
  mkdirSync(top)
  const r = await run([withAgents, top, agentsDir, initD, 'crm', 'configure', 'load', 'update', script], { env: { ...process.env, CIB_file: file }, timeout: 120_000 })
  t.equal(r.code, 0, r.stdout + r.stderr)
  t.notMatch(r.stdout + r.stderr, /ERROR/, 'crmsh found nothing wrong, meta-data included')
  const loaded = readFileSync(file, 'utf8')
  t.same(await meaning(loaded), await meaning(cib.resources.text), 'what crmsh made is what cib.xml says')
  t.same(await verifyCib(loaded, dir), { code: 0, said: '' })
}

t.test('the example', (t) => loadWithCrm(t, 'example', { confDir: example, to: 'crm', root: dir, drbdConf: example, monCf: join(example, 'mon.cf'), agentsDir }, ['node1', 'node2']))

t.test('two groups, fencing, lsb, ping_group', async (t) => {
  const root = fixtureRoot('two-groups', mkdtempSync(join(dir, 'two-groups-')))
  await loadWithCrm(t, 'two-groups', { confDir: join(root, 'ha.d'), to: 'crm', root, agentsDir }, ['alpha', 'beta'], join(root, 'etc/init.d'))
})
