// The drbdadm/drbdsetup double itself: the Outdated disk state, drbdadm outdate, and DRBD's fence-peer
// handler under `fencing resource-only`, as DRBD 8.4/9 behave (drbd_state.c, drbd_nl.c, drbdsetup's exit codes).
import t, { type Test } from 'tap'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from '../../lib/exec.ts'
import { drbdPair, type DrbdNode, type Pair } from './pair.ts'

const adm = (n: DrbdNode, ...args: string[]) => run([n.drbdadm, '-c', n.conf, ...args])
const setup = (n: DrbdNode, ...args: string[]) => run([n.drbdsetup, ...args])

async function upConnected(t: Test, pair: Pair): Promise<void> {
  for (const n of [pair.alpha, pair.beta]) t.equal((await adm(n, 'up', 'r0')).code, 0, `${n.name} up`)
  t.ok(pair.r0().connected, 'connected')
}

/** A fence-peer handler that writes its environment to env.<node> and exits with the code in `code`. */
function handler(dir: string): { path: string; answer(code: number): void; env(node: string): Record<string, string> } {
  const path = join(dir, 'fence-peer')
  writeFileSync(path, `#!/bin/sh\nenv > "${dir}/env.$DRBD_MY_NODE_ID$DRBD_PEER"\necho "asked about $DRBD_RESOURCE"\nexit $(cat "${dir}/code")\n`)
  chmodSync(path, 0o755)
  return {
    path,
    answer: (code) => writeFileSync(join(dir, 'code'), String(code)),
    env: (key) => Object.fromEntries(readFileSync(join(dir, `env.${key}`), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
  }
}

for (const version of ['9', '8.4'] as const) {
  t.test(`DRBD ${version}: drbdadm outdate, and the Outdated disk in every output`, async (t) => {
    const pair = await drbdPair(t, { version })
    const { alpha, beta } = pair
    await upConnected(t, pair)
    const connected = await adm(beta, 'outdate', 'r0')
    t.equal(connected.code, 11, 'refused while connected')
    t.match(connected.stderr, /State change failed: \(-6\) Refusing to be Outdated while Connected/)
    t.equal((await adm(alpha, 'primary', 'r0')).code, 0)
    pair.edit((r) => (r.link = false))
    const primary = await adm(alpha, 'outdate', 'r0')
    t.equal(primary.code, 17, 'a Primary cannot be outdated: 17, what dopd reads as "peer is primary"')
    t.match(primary.stderr, /State change failed: \(-2\) Need access to UpToDate data/)
    t.match(primary.stderr, version === '9' ? "Command 'drbdsetup outdate r0' terminated with exit code 17" : "Command 'drbdsetup-84 outdate 0' terminated with exit code 17")
    t.equal((await adm(beta, 'outdate', 'r0')).code, 0, 'the Secondary apart from its peer: outdated')
    t.equal((await adm(beta, 'outdate', 'r0')).code, 0, 'again: nothing to do')
    t.equal(pair.r0().nodes.beta.disk, 'Outdated')
    t.equal((await adm(beta, 'dstate', 'r0')).stdout, 'Outdated/DUnknown\n')
    t.equal((await adm(alpha, 'dstate', 'r0')).stdout, 'UpToDate/DUnknown\n', 'alpha was not told')
    if (version === '9') {
      t.match((await setup(beta, 'events2', '--now', 'r0')).stdout, / disk:Outdated .*\n.* peer-disk:DUnknown /)
      t.match((await setup(beta, 'events2', '--now', 'r0')).stdout, /may_promote:no promotion_score:0/)
      t.match((await setup(beta, 'status', 'r0', '--json')).stdout, /"disk-state": "Outdated"/)
    } else {
      t.match(readFileSync(beta.proc, 'utf8'), / 0: cs:WFConnection ro:Secondary\/Unknown ds:Outdated\/DUnknown/)
      t.match((await setup(beta, 'sh-status', 'r0')).stdout, /^_disk=Outdated$/m)
    }
    const promote = await adm(beta, 'primary', 'r0')
    t.equal(promote.code, 17, 'an Outdated disk is not promoted')
    t.match(promote.stderr, /r0|0: State change failed: \(-2\) Need access to UpToDate data/)
    t.equal(pair.r0().nodes.beta.role, 'Secondary')
    pair.joinLink()
    t.same([pair.r0().connected, pair.r0().nodes.beta.disk], [true, 'UpToDate'], 'reconnected: resynchronised from alpha')
  })
}

t.test('drbdadm outdate: Inconsistent is refused with 5, a resource that is down is marked in its meta-data', async (t) => {
  const pair = await drbdPair(t)
  await upConnected(t, pair)
  pair.edit((r) => {
    r.link = false
    r.nodes.beta.disk = 'Inconsistent'
  })
  const r = await adm(pair.beta, 'outdate', 'r0')
  t.equal(r.code, 5, 'dopd reads 5 as "peer is inconsistent"')
  t.match(r.stderr, /State change failed: \(-16\) Disk state is lower than outdated/)
  t.equal(pair.r0().nodes.beta.disk, 'Inconsistent')
  t.equal((await adm(pair.alpha, 'down', 'r0')).code, 0)
  t.equal((await adm(pair.alpha, 'outdate', 'r0')).code, 0)
  t.equal(pair.r0().nodes.alpha.disk, 'Outdated')
})

t.test('fencing resource-only: a Primary that loses its link calls fence-peer with DRBD\'s environment', async (t) => {
  for (const version of ['9', '8.4'] as const) {
    const scratch = await drbdPair(t)
    const h = handler(scratch.dir)
    const pair = await drbdPair(t, { version, fencing: { policy: 'resource-only', handler: `${h.path} -t 5` } })
    await upConnected(t, pair)
    t.equal((await adm(pair.alpha, 'primary', 'r0')).code, 0, 'connected: no handler')
    h.answer(4)
    t.same(await pair.cutLink(), { alpha: 4 }, `${version}: only the Primary calls its handler`)
    const env = h.env(version === '9' ? '0' : 'beta')
    t.match(env, { DRBD_RESOURCE: 'r0', DRBD_MINOR: '0', DRBD_CONF: pair.alpha.conf, DRBD_PEER_ADDRESS: '10.250.0.2', DRBD_PEER_AF: 'ipv4' })
    if (version === '9') t.match(env, { DRBD_PEER_NODE_ID: '1', DRBD_MY_NODE_ID: '0', DRBD_NODE_ID_1: 'beta', DRBD_NODE_ID_0: 'alpha' })
    else t.match(env, { DRBD_PEER: 'beta', DRBD_PEERS: 'beta' })
    t.equal((await adm(pair.alpha, 'dstate', 'r0')).stdout, 'UpToDate/Outdated\n', 'alpha now knows beta\'s disk as Outdated')
    const log = pair.kernLog('alpha')
    t.match(log, 'drbd r0: helper command: /sbin/drbdadm fence-peer r0\n')
    t.match(log, 'drbd r0:   asked about r0\n')
    t.match(log, 'drbd r0: pdsk( DUnknown -> Outdated )\ndrbd r0: fence-peer helper returned 4 (peer was fenced)\n')
  }
})

t.test('the kernel acts on each exit code as drbd_nl.c does', async (t) => {
  const scratch = await drbdPair(t)
  const h = handler(scratch.dir)
  const cases = [
    { code: 3, pdsk: 'Inconsistent', line: 'fence-peer helper returned 3 (peer is inconsistent or worse)' },
    { code: 5, pdsk: 'Outdated', line: 'fence-peer helper returned 5 (peer is unreachable, assumed to be dead)' },
    { code: 7, pdsk: 'Outdated', line: 'fence-peer() = 7 && fencing != Stonith !!!' },
    { code: 1, pdsk: 'DUnknown', line: 'fence-peer helper broken, returned 1' },
  ]
  for (const c of cases) {
    const pair = await drbdPair(t, { fencing: { policy: 'resource-only', handler: h.path } })
    await upConnected(t, pair)
    t.equal((await adm(pair.alpha, 'primary', 'r0')).code, 0)
    h.answer(c.code)
    t.same(await pair.cutLink(), { alpha: c.code })
    t.equal((await adm(pair.alpha, 'dstate', 'r0')).stdout, `UpToDate/${c.pdsk}\n`, `${c.code}: the peer's disk as alpha knows it`)
    t.match(pair.kernLog('alpha'), c.line)
    t.equal(pair.r0().nodes.alpha.role, 'Primary', 'resource-only: the Primary carries on')
  }
})

t.test('promotion apart from the peer asks the handler first: 4 promotes, 6 outdates this node, a failure refuses', async (t) => {
  const scratch = await drbdPair(t)
  const h = handler(scratch.dir)
  const pair = await drbdPair(t, { fencing: { policy: 'resource-only', handler: h.path } })
  await upConnected(t, pair)
  pair.edit((r) => (r.link = false))

  h.answer(1)
  const broken = await adm(pair.beta, 'primary', 'r0')
  t.equal(broken.code, 11)
  t.match(broken.stderr, 'r0: State change failed: (-7) Refusing to be Primary while peer is not outdated')
  t.equal(pair.r0().nodes.beta.role, 'Secondary')

  h.answer(6)
  const active = await adm(pair.beta, 'primary', 'r0')
  t.equal(active.code, 17)
  t.match(active.stderr, '(-2) Need access to UpToDate data')
  t.match(pair.kernLog('beta'), 'Peer is primary, outdating myself.\ndrbd r0: disk( UpToDate -> Outdated )\ndrbd r0: fence-peer helper returned 6 (peer is active)')
  t.equal(pair.r0().nodes.beta.disk, 'Outdated')

  h.answer(4)
  t.equal((await adm(pair.alpha, 'primary', 'r0')).code, 0, 'alpha: its handler outdated the peer')
  t.equal((await adm(pair.alpha, 'dstate', 'r0')).stdout, 'UpToDate/Outdated\n')
  const calls = pair.calls().filter((c) => c.includes(' primary r0'))
  t.equal(calls.length, 3)
  t.equal(pair.kernLog('alpha').match(/helper command: \/sbin\/drbdadm fence-peer r0\n/g)?.length, 1, 'one handler call for alpha')
})

t.test("a new resource as the admin makes it: create-md, up, primary --force on one node, and drbdadm status", async (t) => {
  const pair = await drbdPair(t, { names: ['node1', 'node2'] })
  const [one, two] = [pair.alpha, pair.beta]
  for (const n of [one, two]) {
    const md = await adm(n, 'create-md', 'r0')
    t.equal(md.code, 0, `${n.name}: create-md`)
    t.match(md.stdout, 'New drbd meta data block successfully created.')
  }
  for (const n of [one, two]) t.equal((await adm(n, 'up', 'r0')).code, 0, `${n.name} up`)
  t.equal((await adm(one, 'status', 'r0')).stdout, 'r0 role:Secondary\n  disk:Inconsistent\n  node2 role:Secondary\n    peer-disk:Inconsistent\n\n', 'fresh meta-data: Inconsistent on both')
  t.equal((await adm(one, 'primary', 'r0')).code, 17, 'no UpToDate data anywhere: no Primary without --force')
  const again = await adm(one, 'create-md', 'r0')
  t.equal(again.code, 20, 'create-md refused while the resource is up')
  t.match(again.stderr, "Device '0' is configured!")
  t.equal((await adm(one, 'primary', '--force', 'r0')).code, 0)
  t.equal((await adm(two, 'status', 'r0')).stdout, 'r0 role:Secondary\n  disk:UpToDate\n  node1 role:Primary\n    peer-disk:UpToDate\n\n', 'node2 synced from the forced Primary')
  t.equal((await adm(two, 'down', 'r0')).code, 0)
  t.equal((await adm(one, 'status', 'r0')).stdout, 'r0 role:Primary\n  disk:UpToDate\n  node2 connection:Connecting\n\n')
  t.equal((await adm(two, 'status', 'r0')).code, 10, 'a resource that is down: no such resource')
})
