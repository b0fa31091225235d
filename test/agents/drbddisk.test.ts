// drbddisk called as Heartbeat v1 calls it (drbddisk r0 start|stop|status), against the double and
// against this machine's real drbdadm (no kernel module).
import t from 'tap'
import { run } from '../../lib/exec.ts'
import { ocfTester, v1 } from '../harness/agent.ts'
import { until } from '../../lib/wait.ts'
import { drbdPair, realDrbdConf, type DrbdNode } from '../drbd/pair.ts'


const disk = (node: DrbdNode, action: string, args = ['r0']) => v1('drbddisk', args, action, { env: node.v1env })
const up = (node: DrbdNode) => run([node.drbdadm, 'up', 'r0'])

t.test('start makes r0 Primary, stop Secondary; status in Heartbeat\'s words', async (t) => {
  const pair = await drbdPair(t)
  for (const n of [pair.alpha, pair.beta]) t.equal((await up(n)).code, 0)
  const before = await disk(pair.alpha, 'status')
  t.equal(before.stdout, 'stopped (Secondary)\n')
  t.equal(before.code, 3)
  t.equal((await disk(pair.alpha, 'start')).code, 0)
  t.equal(pair.r0().nodes.alpha.role, 'Primary')
  t.same(await disk(pair.alpha, 'status').then((r) => [r.stdout, r.code]), ['running (Primary)\n', 0])
  t.equal((await disk(pair.alpha, 'start')).code, 0, 'start when Primary: 0')
  t.equal((await disk(pair.alpha, 'stop')).code, 0)
  t.equal(pair.r0().nodes.alpha.role, 'Secondary')
  t.equal((await disk(pair.alpha, 'stop')).code, 0, 'stop when Secondary: 0')
})

t.test('ocf-tester -v passes for drbddisk\'s OCF door too (Primary on start, Secondary on stop)', async (t) => {
  const pair = await drbdPair(t)
  for (const n of [pair.alpha, pair.beta]) t.equal((await up(n)).code, 0)
  await ocfTester(t, 'drbddisk', pair.alpha.params)
})

t.test('8.4: status reads drbdadm role\'s Primary/Secondary; a down resource is stopped (Unconfigured)', async (t) => {
  const pair = await drbdPair(t, { version: '8.4' })
  t.equal((await disk(pair.alpha, 'status')).stdout, 'stopped (Unconfigured)\n')
  t.equal((await up(pair.alpha)).code, 0)
  t.equal((await disk(pair.alpha, 'start')).code, 0)
  t.equal((await disk(pair.alpha, 'status')).stdout, 'running (Primary)\n')
})

t.test('start retries while the peer is still Primary (its Heartbeat is still giving up)', async (t) => {
  const pair = await drbdPair(t)
  for (const n of [pair.alpha, pair.beta]) t.equal((await up(n)).code, 0)
  t.equal((await disk(pair.alpha, 'start')).code, 0)
  const starting = disk(pair.beta, 'start')
  await until('beta tries primary', () => pair.calls().some((c) => /^beta drbdadm -c \S+ primary r0$/.test(c)), 10_000)
  t.equal((await disk(pair.alpha, 'stop')).code, 0)
  const r = await starting
  t.equal(r.code, 0, r.stderr)
  t.equal(pair.r0().nodes.beta.role, 'Primary')
})

t.test('stop retries while the device is held open, then fails (1) naming the cause', async (t) => {
  const pair = await drbdPair(t)
  t.equal((await up(pair.alpha)).code, 0)
  t.equal((await disk(pair.alpha, 'start')).code, 0)
  pair.node('alpha', { open: 1 })
  const stopping = disk(pair.alpha, 'stop')
  await until('alpha tries secondary', () => pair.calls().some((c) => /^alpha drbdadm -c \S+ secondary r0$/.test(c)), 10_000)
  pair.node('alpha', { open: 0 })
  t.equal((await stopping).code, 0)
  t.equal((await disk(pair.alpha, 'start')).code, 0)
  pair.node('alpha', { open: 1 })
  const tries = () => pair.calls().filter((c) => /^alpha drbdadm .* secondary r0$/.test(c)).length
  const before = tries()
  const stuck = await disk(pair.alpha, 'stop')
  t.equal(stuck.code, 1)
  t.match(stuck.stderr, /r0 is not Secondary after 3 tries: secondary r0: exit 11: .*\(-12\) Device is held open by someone/)
  t.equal(tries() - before, 3, 'three tries')
  t.equal((await disk(pair.alpha, 'status')).stdout, 'running (Primary)\n', 'Heartbeat sees it still running')
  pair.node('alpha', { open: 0 })
})

t.test('start refused (peer Primary for good, or no UpToDate data): 1 after 6 tries', async (t) => {
  const pair = await drbdPair(t)
  t.equal((await up(pair.alpha)).code, 0)
  pair.node('alpha', { disk: 'Outdated' })
  const r = await disk(pair.alpha, 'start')
  t.equal(r.code, 1)
  t.match(r.stderr, /r0 is not Primary after 6 tries: primary r0: exit 17: .*\(-2\) Need access to UpToDate data/)
})

t.test('status without a resource: Heartbeat\'s drbddisk answer', async (t) => {
  const pair = await drbdPair(t)
  const r = await disk(pair.alpha, 'status', [])
  t.equal(r.stdout, 'A resource name is required for status inquiries.\n')
  t.equal(r.code, 10)
})

t.test('no kernel module, this machine\'s real drbdadm: stopped (Unconfigured), start fails at once', async (t) => {
  const conf = realDrbdConf(t)
  const env = { HA_DRBDADM: '/usr/sbin/drbdadm', HA_DRBDCONF: conf }
  // reference/drbd/drbddisk_v1_without_module.txt: "stopped (Unconfigured)", rc=3
  const status = await v1('drbddisk', ['r0'], 'status', { env })
  t.same([status.stdout, status.code], ['stopped (Unconfigured)\n', 3])
  const start = await v1('drbddisk', ['r0'], 'start', { env })
  t.equal(start.code, 1)
  t.match(start.stderr, 'the DRBD kernel module cannot be loaded: primary r0: exit 20: Failed to modprobe drbd')
  t.equal((await v1('drbddisk', ['r0'], 'stop', { env })).code, 0, 'drbdadm secondary succeeds without the module')
})
