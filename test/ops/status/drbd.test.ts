// DRBD in halo status: `drbdadm status` in DRBD 9's format (the double's), read into roles and disk states,
// and what of it makes the pair degraded.
import t from 'tap'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { run } from '../../../lib/exec.ts'
import { collectStatus } from '../../../ops/status/collect.ts'
import { drbdStatus, parseDrbdStatus } from '../../../lib/drbd.ts'
import { drbdProblems } from '../../../ops/status/drbd.ts'
import { atEnd } from '../../harness/cleanup.ts'
import { drbdPair } from '../../drbd/pair.ts'

t.test('a resync, as DRBD 9 prints it', async (t) => {
  const text = 'r0 role:Primary\n  disk:UpToDate\n  nodeb role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:45.20\n\nr1 role:Secondary\n  disk:Outdated\n  nodeb connection:Connecting\n\n'
  const rs = parseDrbdStatus(text)
  t.same(rs, [
    { name: 'r0', role: 'Primary', disk: 'UpToDate', peers: [{ name: 'nodeb', connection: 'Connected', role: 'Secondary', disk: 'Inconsistent', replication: 'SyncSource', done: 45.2 }] },
    { name: 'r1', role: 'Secondary', disk: 'Outdated', peers: [{ name: 'nodeb', connection: 'Connecting', role: 'Unknown', disk: 'DUnknown' }] },
  ])
  t.same(drbdProblems({ resources: rs }), ["DRBD r0: nodeb's disk Inconsistent", 'DRBD r1: disk Outdated', 'DRBD r1: nodeb Connecting'])
})

t.test('the double: connected, then apart; halo status reads it when haresources runs drbddisk', async (t) => {
  const pair = await drbdPair(t)
  const { alpha, beta } = pair
  for (const n of [alpha, beta]) t.equal((await run([n.drbdadm, 'up', 'r0'])).code, 0)
  t.equal((await run([alpha.drbdadm, 'primary', 'r0'])).code, 0)
  const env = { ...process.env, PATH: `${dirname(alpha.drbdadm)}:${process.env.PATH}` }
  let s = await drbdStatus(5000, env)
  t.same(s, { resources: [{ name: 'r0', role: 'Primary', disk: 'UpToDate', peers: [{ name: 'beta', connection: 'Connected', role: 'Secondary', disk: 'UpToDate' }] }] })
  t.same(drbdProblems(s), [])
  pair.edit((r) => (r.link = false))
  s = await drbdStatus(5000, env)
  t.same(s.resources[0].peers, [{ name: 'beta', connection: 'Connecting', role: 'Unknown', disk: 'DUnknown' }])
  t.same(drbdProblems(s), ['DRBD r0: beta Connecting'])

  // a node's files naming drbddisk: the report carries DRBD, its engine being down here
  const dir = mkdtempSync(join(tmpdir(), 'halo-status-drbd-'))
  atEnd(t, ['rm', '-rf', dir])
  mkdirSync(join(dir, 'resource.d'))
  writeFileSync(join(dir, 'ha.cf'), 'bcast lo\nnode alpha\nnode beta\n')
  writeFileSync(join(dir, 'haresources'), 'alpha drbddisk::r0\n')
  const saved = process.env.PATH
  process.env.PATH = env.PATH
  t.teardown(() => void (process.env.PATH = saved))
  const r = await collectStatus({ confDir: dir, controlSocket: join(dir, 'none.sock'), monHost: '127.0.0.1', monPort: 1, monCf: join(dir, 'mon.cf'), timeoutMs: 5000, uname: 'alpha' })
  t.same(r.drbd?.resources.map((x) => [x.name, x.role, x.disk]), [['r0', 'Primary', 'UpToDate']])
  t.ok(r.problems.includes('DRBD r0: beta Connecting'))
  t.same(r.groups[0].resources, [{ name: 'drbddisk::r0', state: 'unknown', detail: `no executable drbddisk in ${dir}/resource.d or /etc/init.d` }])
})

t.test('no DRBD module: the error, not a hang', async (t) => {
  const pair = await drbdPair(t, { module: false })
  const s = await drbdStatus(5000, { ...process.env, PATH: `${dirname(pair.alpha.drbdadm)}:${process.env.PATH}` })
  t.same(s, { resources: [], error: "drbdadm status: Command 'drbdsetup status' terminated with exit code 20" })
})
