// `halo convert` as the admin runs it (the built program): the files written with --out, or printed each
// after its header; bad input: the error named, the exit code, and nothing written.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../../lib/exec.ts'
import { convert } from '../../../ops/convert/convert.ts'
import { agentsDir, fixtureRoot, halo } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'halo-convert-cli-'))
t.teardown(() => run(['rm', '-rf', dir]))
const root = fixtureRoot('one-link', join(dir, 'root'))
const confDir = join(root, 'ha.d')
const halo_ = (...args: string[]) => run([halo, 'convert', '-c', confDir, '--root', root, ...args], { timeout: 120_000 })

t.test('--out DIR: corosync.conf, cib.xml and not-converted.txt, as the library returns them', async (t) => {
  const out = join(dir, 'out-cib')
  const r = await halo_('--out', out)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, `wrote ${out}/corosync.conf, ${out}/cib.xml, ${out}/not-converted.txt; 6 item(s) not converted: read not-converted.txt`)
  const c = await convert({ confDir, root, to: 'cib', agentsDir })
  t.equal(readFileSync(join(out, 'cib.xml'), 'utf8'), c.resources.text)
  t.equal(readFileSync(join(out, 'corosync.conf'), 'utf8'), c.corosync)
  const list = readFileSync(join(out, 'not-converted.txt'), 'utf8').split('\n')
  t.equal(list[0], '# What halo convert did not carry over, or needs you: 6 item(s), each with the file:line it comes from.')
  t.equal(list[1], `${confDir}/ha.cf: auto_failback legacy: carried over as on (groups go back to their preferred node: resource-stickiness 0)`)
  t.match(list[2], `${confDir}/ha.cf:5: ucast eth1:`)
})

t.test('--to pcs: an executable script; --to crm: crm shell', async (t) => {
  const pcs = join(dir, 'out-pcs')
  t.equal((await halo_('--to', 'pcs', '--out', pcs)).code, 0)
  t.equal(statSync(join(pcs, 'resources.pcs')).mode & 0o777, 0o755)
  t.match(readFileSync(join(pcs, 'resources.pcs'), 'utf8'), /^#!\/bin\/sh\n/)
  const crm = join(dir, 'out-crm')
  t.equal((await halo_('--to', 'crm', '--out', crm)).code, 0)
  t.match(readFileSync(join(crm, 'resources.crm'), 'utf8'), /^primitive IPaddr-192\.168\.1\.10 ocf:halo:IPaddr/m)
  t.notOk(existsSync(join(crm, 'cib.xml')))
})

t.test('without --out: each file printed after its header', async (t) => {
  const r = await halo_('--nodes', 'gamma,delta,epsilon')
  t.equal(r.code, 0, r.stderr)
  const headers = r.stdout.split('\n').filter((l) => l.startsWith('==> '))
  t.same(headers, ['==> corosync.conf <==', '==> cib.xml <==', '==> not-converted.txt <=='])
  t.match(r.stdout, /name: epsilon\n\s+nodeid: 3/)
})

t.test('bad input: the error names the file:line or the option, exits non-zero, and nothing is written', async (t) => {
  const out = join(dir, 'out-bad')
  const missing = await halo_('--nodes', 'delta,omega', '--out', out)
  t.equal(missing.code, 2)
  t.match(missing.stderr, /^halo: --nodes: gamma is missing: .*haresources:1 prefers it for IPaddr::192\.168\.1\.10\/24\/eth1/)
  const empty = await halo_('--nodes', 'gamma,,delta', '--out', out)
  t.equal(empty.code, 2)
  t.match(empty.stderr, /--nodes gamma,,delta: write the node names comma-separated/)
  const to = await halo_('--to', 'heartbeat', '--out', out)
  t.equal(to.code, 2)
  t.match(to.stderr, /Invalid values:\n\s+Argument: to, Given: "heartbeat", Choices: "cib", "pcs", "crm"/)
  const wrong = await run([halo, 'convert', '-c', join(dir, 'nowhere'), '--out', out], { timeout: 60_000 })
  t.not(wrong.code, 0)
  t.match(wrong.stderr, /halo: .*nowhere\/ha\.cf/)
  t.notOk(existsSync(out), 'no output folder made')
})
