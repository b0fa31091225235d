// drbd against the drbdadm/drbdsetup double (two nodes sharing one state), ocf-tester and crm_attribute,
// and against this machine's real drbdadm, which has no kernel module to talk to.
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../lib/exec.ts'
import { agentPath, ocf, ocfTester } from '../harness/agent.ts'
import { atEnd } from '../harness/cleanup.ts'
import { until } from '../../lib/wait.ts'
import { drbdPair, realDrbdConf, type DrbdNode } from '../drbd/pair.ts'


const reason = (stderr: string) => /ocf-exit-reason:(.*)/.exec(stderr)?.[1] ?? ''
const drbd = (node: DrbdNode, action: string, env: Record<string, string> = {}) => ocf('drbd', action, { params: node.params, env })

t.test('ocf-tester -v passes against the double (9.x)', async (t) => {
  const pair = await drbdPair(t)
  await ocfTester(t, 'drbd', pair.alpha.params)
})

t.test('meta-data: promotable monitor roles with different intervals, valid against the OCF 1.0 DTD', async (t) => {
  const md = await run([agentPath('drbd'), 'meta-data'], { env: {} })
  t.match(md.stdout, /<action name="monitor" timeout="20s" interval="20s" depth="0" role="Promoted"\/>/)
  t.match(md.stdout, /<action name="monitor" timeout="20s" interval="21s" depth="0" role="Unpromoted"\/>/)
  t.match(md.stdout, /<action name="promote" timeout="90s"\/>/)
  const dir = mkdtempSync(join(tmpdir(), 'halo-drbd-md-'))
  atEnd(t, ['rm', '-rf', dir])
  writeFileSync(join(dir, 'md.xml'), md.stdout)
  const lint = await run(['xmllint', '--noout', '--dtdvalid', '/usr/share/resource-agents/ra-api-1.dtd', join(dir, 'md.xml')])
  t.equal(lint.code, 0, lint.stderr)
})

for (const version of ['9', '8.4'] as const) {
  t.test(`DRBD ${version}: start connects the two nodes, promote/demote move Primary, monitor 7/0/8`, async (t) => {
    const pair = await drbdPair(t, { version })
    const { alpha, beta } = pair
    t.equal((await drbd(alpha, 'monitor')).code, 7, 'down: 7')
    t.equal((await drbd(alpha, 'stop')).code, 0, 'stop when down: 0')
    t.equal((await drbd(alpha, 'start')).code, 0)
    t.equal((await drbd(alpha, 'monitor')).code, 0, 'up, Secondary: 0')
    t.equal(pair.r0().connected, false, 'alone: connecting')
    t.equal((await drbd(beta, 'start')).code, 0)
    t.equal(pair.r0().connected, true, 'both up: connected')
    t.equal((await drbd(alpha, 'start')).code, 0, 'start when started: 0')
    t.equal((await drbd(alpha, 'promote')).code, 0)
    t.equal((await drbd(alpha, 'monitor')).code, 8, 'Primary: 8')
    t.equal((await drbd(alpha, 'promote')).code, 0, 'promote when Primary: 0')
    const refused = await drbd(beta, 'promote', { OCF_RESKEY_CRM_meta_timeout: '3000' })
    t.equal(refused.code, 1, 'the peer stays Primary: refused')
    t.match(reason(refused.stderr), /refused to become Primary: primary r0: exit 17: .*\(-1\) Multiple primaries not allowed by config/)
    t.equal((await drbd(alpha, 'demote')).code, 0)
    t.equal((await drbd(alpha, 'monitor')).code, 0, 'demoted: 0')
    t.equal((await drbd(beta, 'promote')).code, 0)
    t.equal((await drbd(beta, 'monitor')).code, 8)
    t.equal((await drbd(beta, 'stop')).code, 0, 'stop of a Primary takes it down')
    t.equal((await drbd(beta, 'monitor')).code, 7)
    t.equal((await drbd(alpha, 'stop')).code, 0)
  })
}

t.test('promote waits while the peer is still demoting', async (t) => {
  const { alpha, beta, calls } = await drbdPair(t)
  for (const n of [alpha, beta]) t.equal((await drbd(n, 'start')).code, 0)
  t.equal((await drbd(alpha, 'promote')).code, 0)
  const promoting = drbd(beta, 'promote')
  await until('beta tries to promote', () => calls().some((c) => /^beta drbdadm .* primary r0$/.test(c)), 10_000)
  t.equal((await drbd(alpha, 'demote')).code, 0)
  const r = await promoting
  t.equal(r.code, 0, r.stderr)
  t.equal((await drbd(beta, 'monitor')).code, 8)
})

t.test('demote: held open, it waits for the user to let go, then fails with the reason', async (t) => {
  const pair = await drbdPair(t)
  t.equal((await drbd(pair.alpha, 'start')).code, 0)
  t.equal((await drbd(pair.alpha, 'promote')).code, 0)
  pair.node('alpha', { open: 1 })
  const demoting = drbd(pair.alpha, 'demote')
  await until('alpha tries to demote', () => pair.calls().some((c) => /^alpha drbdadm .* secondary r0$/.test(c)), 10_000)
  pair.node('alpha', { open: 0 })
  t.equal((await demoting).code, 0)
  t.equal((await drbd(pair.alpha, 'promote')).code, 0)
  pair.node('alpha', { open: 1 })
  const stuck = await drbd(pair.alpha, 'demote', { OCF_RESKEY_CRM_meta_timeout: '2000' })
  t.equal(stuck.code, 1)
  t.match(reason(stuck.stderr), /cannot become Secondary: its device is in use \(still mounted\?\): secondary r0: exit 11: .*\(-12\) Device is held open by someone/)
  const down = await drbd(pair.alpha, 'stop')
  t.equal(down.code, 1, 'stop cannot take a held device down')
  t.equal((await drbd(pair.alpha, 'monitor')).code, 8, 'still Primary')
  pair.node('alpha', { open: 0 })
})

t.test('Primary whose disk failed: 9', async (t) => {
  const pair = await drbdPair(t)
  for (const n of [pair.alpha, pair.beta]) t.equal((await drbd(n, 'start')).code, 0)
  t.equal((await drbd(pair.alpha, 'promote')).code, 0)
  pair.node('alpha', { disk: 'Diskless' })
  const r = await drbd(pair.alpha, 'monitor')
  t.equal(r.code, 9)
  t.match(reason(r.stderr), 'r0 is Primary without its local disk (Primary/Secondary Diskless/UpToDate Connected)')
})

t.test('Inconsistent during resync: not promoted; the reason says where the good data is', async (t) => {
  const pair = await drbdPair(t)
  for (const n of [pair.alpha, pair.beta]) t.equal((await drbd(n, 'start')).code, 0)
  pair.edit((r) => {
    r.nodes.beta.disk = 'Inconsistent'
    r.synced = 42
  })
  const r = await drbd(pair.beta, 'promote')
  t.equal(r.code, 1)
  t.match(reason(r.stderr), /local data is Inconsistent, a resync is not finished .*the peer has the good data/)
  t.equal((await drbd(pair.beta, 'monitor')).code, 0, 'still Secondary')
  // the peer goes away: the half-synchronised data is still not promoted by itself
  t.equal((await drbd(pair.alpha, 'stop')).code, 0)
  const alone = await drbd(pair.beta, 'promote')
  t.equal(alone.code, 1)
  t.match(reason(alone.stderr), 'if this is the best data left, promote by hand: drbdadm primary --force r0')
  // Consistent data with no peer is the best available: promoted
  pair.node('beta', { disk: 'Consistent' })
  t.equal((await drbd(pair.beta, 'promote')).code, 0)
  t.equal((await drbd(pair.beta, 'monitor')).code, 8)
})

t.test('split brain: StandAlone after both were Primary; the outdated side is not promoted', async (t) => {
  const pair = await drbdPair(t)
  const { alpha, beta } = pair
  for (const n of [alpha, beta]) t.equal((await drbd(n, 'start')).code, 0)
  t.equal((await drbd(alpha, 'promote')).code, 0)
  pair.edit((r) => (r.link = false))
  t.equal((await drbd(beta, 'promote')).code, 0, 'cut off, beta has UpToDate data and no peer: promoted')
  t.equal((await drbd(beta, 'demote')).code, 0)
  pair.edit((r) => (r.link = true))
  t.same([pair.r0().nodes.alpha.standalone, pair.r0().nodes.beta.standalone], [true, true], 'split brain detected')
  const logFile = join(pair.dir, 'beta.log')
  const r = await drbd(beta, 'promote', { HA_LOGFILE: logFile })
  t.equal(r.code, 1)
  t.match(reason(r.stderr), /r0 is StandAlone .*may hold the outdated data; not promoting it/)
  t.match(reason(r.stderr), 'drbdadm secondary r0; drbdadm connect --discard-my-data r0; on the other: drbdadm connect r0')
  t.equal((await drbd(alpha, 'monitor')).code, 8, 'the survivor stays Primary')
  // the admin's recovery, as the reason says
  for (const [n, args] of [[beta, ['secondary', 'r0']], [beta, ['connect', '--discard-my-data', 'r0']], [alpha, ['connect', 'r0']]] as const) {
    const a = await run([n.drbdadm, '-c', n.conf, ...args])
    t.equal(a.code, 0, a.stderr)
  }
  t.equal(pair.r0().connected, true, 'reconnected')
  t.equal((await drbd(alpha, 'demote')).code, 0)
  t.equal((await drbd(beta, 'promote')).code, 0, 'after recovery beta can be promoted')
})

t.test('promotion scores go to Pacemaker through crm_attribute, a log line outside it', async (t) => {
  // transient attributes need attrd, which a CIB file alone has not: a recording crm_attribute stands in
  const pair = await drbdPair(t)
  const bin = join(pair.dir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'crm_attribute'), `#!/bin/sh\necho "$*" >>${join(pair.dir, 'attrs.log')}\n`, { mode: 0o755 })
  const attrs = () => readFileSync(join(pair.dir, 'attrs.log'), 'utf8').trim().split('\n').at(-1)
  const clone = { PATH: `${bin}:${process.env.PATH}`, OCF_RESKEY_CRM_meta_clone_max: '2', OCF_RESKEY_CRM_meta_on_node: 'alpha', OCF_RESOURCE_INSTANCE: 'drbd_r0:0' }
  t.equal((await drbd(pair.alpha, 'start', clone)).code, 0)
  t.equal(attrs(), '-p drbd_r0 -l reboot -N alpha -v 1000', 'UpToDate, peer unknown: 1000')
  t.equal((await drbd(pair.beta, 'start')).code, 0)
  t.equal((await drbd(pair.alpha, 'monitor', clone)).code, 0)
  t.equal(attrs(), '-p drbd_r0 -l reboot -N alpha -v 10000', 'both UpToDate: 10000')
  pair.node('alpha', { disk: 'Outdated' })
  t.equal((await drbd(pair.alpha, 'monitor', clone)).code, 0)
  t.equal(attrs(), '-p drbd_r0 -l reboot -N alpha -v 10', 'only the peer has good data: 10')
  pair.node('alpha', { disk: 'Inconsistent' })
  pair.node('beta', { disk: 'Inconsistent' })
  t.equal((await drbd(pair.alpha, 'monitor', clone)).code, 0)
  t.equal(attrs(), '-p drbd_r0 -l reboot -N alpha -D', 'no good data anywhere: removed')
  t.equal((await drbd(pair.alpha, 'stop', clone)).code, 0)
  t.equal(attrs(), '-p drbd_r0 -l reboot -N alpha -D', 'stopped: removed')
  const outside = await drbd(pair.beta, 'monitor')
  t.match(outside.stderr, 'not run by Pacemaker as a clone: removal of the promotion score not published')
})

t.test('unknown resource: 6; bad name: 6, nothing run', async (t) => {
  const pair = await drbdPair(t)
  const r = await ocf('drbd', 'validate-all', { params: { ...pair.alpha.params, drbd_resource: 'nosuch' } })
  t.equal(r.code, 6)
  t.match(reason(r.stderr), `parameter drbd_resource: nosuch is not defined in ${pair.alpha.conf} for this host`)
  const bad = await ocf('drbd', 'start', { params: { ...pair.alpha.params, drbd_resource: '--force' } })
  t.equal(bad.code, 6)
  t.equal(pair.calls().length, 1, 'only the validate-all lookup ran')
})

t.test('no kernel module, the double: 5 on start and validate, 7 on probe and monitor, stop 0', async (t) => {
  const pair = await drbdPair(t, { module: false })
  for (const action of ['start', 'validate-all']) {
    const r = await drbd(pair.alpha, action)
    t.equal(r.code, 5, action)
    t.match(reason(r.stderr), 'the DRBD kernel module is not loaded and cannot be loaded on this host')
  }
  t.equal((await drbd(pair.alpha, 'monitor', { OCF_RESKEY_CRM_meta_interval: '0' })).code, 7)
  t.equal((await drbd(pair.alpha, 'monitor', { OCF_RESKEY_CRM_meta_interval: '20000' })).code, 7)
  t.equal((await drbd(pair.alpha, 'stop')).code, 0)
})

t.test('no kernel module, this machine\'s real drbdadm: the same codes', async (t) => {
  const conf = realDrbdConf(t)
  const params = { drbd_resource: 'r0', drbdconf: conf, drbdadm: '/usr/sbin/drbdadm', drbdsetup: '/usr/sbin/drbdsetup', proc_drbd: '/proc/drbd' }
  for (const action of ['validate-all', 'start']) {
    const r = await ocf('drbd', action, { params })
    t.equal(r.code, 5, `${action}: ${r.stderr}`)
    t.match(reason(r.stderr), 'DRBD_KERNEL_VERSION_CODE=0x000000')
  }
  t.equal((await ocf('drbd', 'monitor', { params, env: { OCF_RESKEY_CRM_meta_interval: '0' } })).code, 7, 'probe: 7')
  t.equal((await ocf('drbd', 'stop', { params })).code, 0)
  const unknown = await ocf('drbd', 'validate-all', { params: { ...params, drbd_resource: 'nosuch' } })
  t.equal(unknown.code, 6, 'unknown resource: 6 (drbdadm reads its config without the module)')
})
