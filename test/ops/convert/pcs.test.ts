// The pcs form, run by the real pcs (Debian 12's 0.11) on a CIB file (pcs -f, offline): pcs checks each
// resource against its agent's meta-data (this build's agents), and the result means what cib.xml means.
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../../lib/exec.ts'
import { convert } from '../../../ops/convert/convert.ts'
import { agentsDir, emptyCib, example, fixtureRoot, meaning, verifyCib, withAgents } from './helpers.ts'

type Meaning = { resources: Record<string, { ops: string[] }> }
// pcs takes about 2.5 s a command, over a minute for each conversion on a loaded machine
t.setTimeout(900_000)

const dir = mkdtempSync(join(tmpdir(), 'halo-convert-pcs-'))
t.teardown(() => run(['rm', '-rf', dir]))

t.test('the example and the two-group corpus, through pcs', async (t) => {
  const root = fixtureRoot('two-groups', mkdtempSync(join(dir, 'two-groups-')))
  const cases = [
    { name: 'example', o: { confDir: example, root: dir, drbdConf: example, monCf: join(example, 'mon.cf'), agentsDir }, nodes: ['node1', 'node2'], initD: '-' },
    { name: 'two-groups', o: { confDir: join(root, 'ha.d'), root, agentsDir }, nodes: ['alpha', 'beta'], initD: join(root, 'etc/init.d') },
  ]
  for (const { name, o, nodes, initD } of cases) {
    const pcs = await convert({ ...o, to: 'pcs' })
    const cib = await convert({ ...o, to: 'cib' })
    t.equal(pcs.resources.file, 'resources.pcs')
    const script = join(dir, `${name}.pcs`)
    writeFileSync(script, pcs.resources.text)
    const file = join(dir, `${name}.xml`)
    await emptyCib(file, nodes)
    const top = join(dir, `${name}-ocf`)
    mkdirSync(top)
    // sh resources.pcs FILE: every command on the file, nothing pushed
    const r = await run([withAgents, top, agentsDir, initD, 'sh', script, file], { timeout: 280_000 })
    t.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`)
    t.notMatch(r.stderr, /Error/, `${name}: pcs found nothing wrong`)
    const made = readFileSync(file, 'utf8')
    // pcs adds an operation for every action the meta-data lists that was not given (ping's reload-agent, an
    // LSB script's restart): those aside, the same
    const ours = (await meaning(cib.resources.text)) as Meaning
    const theirs = (await meaning(made)) as Meaning
    for (const [id, r] of Object.entries(theirs.resources)) {
      const given = new Set((ours.resources[id]?.ops ?? []).map((o) => o.split(' ')[0]))
      r.ops = r.ops.filter((o) => given.has(o.split(' ')[0]))
    }
    t.same(theirs, ours, `${name}: what pcs made is what cib.xml says`)
    t.same(await verifyCib(made, dir), { code: 0, said: '' }, `${name}: crm_verify`)
  }
})
