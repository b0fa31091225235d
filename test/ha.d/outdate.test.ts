// DRBD's fence-peer handler on a halo cluster (what Heartbeat's dopd did): first the engine's two halves
// (ha.d/outdate.ts) wired to each other, then two virtual nodes with real halo engines, DRBD played by the
// double with `fencing resource-only` and drbd-peer-outdater as its handler.
// Needs `node build.ts halo-heartbeat cl_status drbd-peer-outdater drbddisk drbd` first.
import t from 'tap'
import { existsSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { run, runOk } from '../../lib/exec.ts'
import { Logger } from '../../lib/log.ts'
import { until } from '../../lib/wait.ts'
import { Outdater } from '../../ha.d/outdate.ts'
import { Message } from '../../ha.d/wire/message.ts'
import { decode, encode } from '../../ha.d/wire/codec.ts'
import { agentPath } from '../harness/agent.ts'
import type { Scope } from '../harness/cleanup.ts'
import { bin, cluster, type HaloNode } from '../harness/cluster.ts'
import { drbdPair, type DrbdNode, type Pair } from '../drbd/pair.ts'

/** nodea's and nodeb's Outdater, each message delivered to the other unless `deliver` says no. */
async function halves(t: Parameters<typeof drbdPair>[0], peer: { alive?: () => boolean; fenced?: () => boolean; deliver?: (m: Message) => Message | undefined } = {}) {
  const pair = await drbdPair(t, { names: ['nodea', 'nodeb'] })
  const logFile = join(pair.dir, 'ha-log')
  const log = new Logger({ tag: 'heartbeat', file: logFile, stderr: false })
  const half = (self: string, other: string, env: Record<string, string>, to: () => Outdater): Outdater =>
    new Outdater({
      peer: other,
      log,
      env: { ...process.env, ...env },
      peerAlive: peer.alive ?? (() => true),
      peerFenced: peer.fenced ?? (() => false),
      fenceSettled: () => Promise.resolve(),
      send: (m) => {
        const sent = (peer.deliver ?? ((x) => x))(m)
        if (sent) setImmediate(() => to().heard({ msg: sent, src: self, type: sent.get('t')!, hg: 1, link: 'eth0' }))
      },
    })
  const a: Outdater = half('nodea', 'nodeb', pair.alpha.v1env, () => b)
  const b: Outdater = half('nodeb', 'nodea', pair.beta.v1env, () => a)
  for (const n of [pair.alpha, pair.beta]) await runOk([n.drbdadm, '-c', n.conf, 'up', 'r0'])
  return { a, b, pair, logger: log, log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') }
}

t.test('the peer answers with drbdadm outdate\'s verdict: 4, and 4 again once Outdated', async (t) => {
  const { a, pair, log } = await halves(t)
  pair.edit((r) => (r.link = false))
  t.same(await a.request({ resource: 'r0', timeoutMs: 5000, peer: 'NodeB' }), { ok: true, code: 4, message: 'the peer is outdated' }, 'DRBD_PEER is compared as ha.cf compares names')
  t.equal(pair.r0().nodes.nodeb.disk, 'Outdated')
  t.same(await a.request({ resource: 'r0', timeoutMs: 5000 }), { ok: true, code: 4, message: 'the peer is outdated' }, 'already Outdated: 4 again')
  t.match(log(), /nodea asks to outdate r0: \S+drbdadm -c \S+ outdate r0: done; answering 4/)
})

t.test('an answer is taken only for the request it names', async (t) => {
  const { a } = await halves(t, { deliver: (m) => (m.get('t') === 'start_outdate' ? undefined : m) })
  const waiting = a.request({ resource: 'r0', timeoutMs: 5000 })
  const answer = (id: string, code: string) =>
    a.heard({ msg: new Message().add('t', 'outdate_rc').add('dop_res', 'r0').add('dop_value', code).add('req_id', id), src: 'nodeb', type: 'outdate_rc', hg: 1, link: 'eth0' })
  answer('7', '6') // late, for a request of ours that is over
  answer('1', '4')
  t.match(await waiting, { ok: true, code: 4 })
})

t.test('drbd-peer-outdater alone: 5 when no engine answers (as dopd), 1 for a bad command line', async (t) => {
  const outdater = (args: string[], env: Record<string, string>) => run([bin('drbd-peer-outdater'), ...args], { env: { ...process.env, HALO_CONTROL: '/nonexistent/halo.sock', ...env } })
  const none = await outdater(['-t', '2'], { DRBD_RESOURCE: 'r0', DRBD_PEER: 'nodeb' })
  t.equal(none.code, 5)
  t.equal(none.stderr, 'drbd-peer-outdater: r0: no halo-heartbeat answers on /nonexistent/halo.sock; answering as for an unreachable peer (5)\n')
  for (const [args, why] of [[[], /no resource: give -r RESOURCE/], [['-r', '--x'], /"--x" is not a DRBD resource name/], [['-r', 'r0', '-t', 'soon'], /-t soon: give the timeout in whole seconds/], [['-r', 'r0', '-Z'], /unexpected argument "-Z"/]] as const) {
    const r = await outdater([...args], {})
    t.equal(r.code, 1, args.join(' '))
    t.match(r.stderr, why)
  }
  t.equal((await outdater(['-r', 'r0', '-t5', '-V', '-d'], {})).code, 5, 'dopd\'s -t5 and debug flags are taken')
})

t.test('a dead peer: 5, or 7 once fenced, at once; a peer dying while we wait: 5 the moment it is declared dead', async (t) => {
  let alive = false
  let fenced = false
  const { a, pair } = await halves(t, { alive: () => alive, fenced: () => fenced, deliver: () => undefined })
  t.same(await a.request({ resource: 'r0', timeoutMs: 60_000 }), { ok: true, code: 5, message: 'the peer is unreachable' })
  fenced = true
  t.match(await a.request({ resource: 'r0', timeoutMs: 60_000 }), { ok: true, code: 7, message: 'the peer was fenced' })
  fenced = false
  alive = true
  const waiting = a.request({ resource: 'r0', timeoutMs: 60_000 })
  alive = false
  a.peerLost()
  t.match(await waiting, { ok: true, code: 5 })
  t.equal(pair.calls().filter((c) => c.includes('outdate')).length, 0, 'no drbdadm outdate anywhere')
})

t.test('a living peer that does not answer: 20 after the timeout, which DRBD takes as a failed handler', async (t) => {
  const { a, log } = await halves(t, { deliver: () => undefined })
  t.match(await a.request({ resource: 'r0', timeoutMs: 300 }), { ok: true, code: 20, message: 'no answer' })
  t.match(log(), 'DRBD fence-peer: nodeb is alive but did not answer for r0 within 300 ms: answering 20')
})

t.test('dopd\'s answer (no req_id) is matched by resource; a dop_value that is no code is 20', async (t) => {
  const { a, log } = await halves(t, {
    deliver: (m) => {
      if (m.get('t') !== 'outdate_rc') return m
      // what a dopd would send: its own fields, no req_id (and here a value that is no exit code)
      return new Message().add('t', 'outdate_rc').add('dop_value', 'four').add('dop_res', 'r0')
    },
  })
  t.match(await a.request({ resource: 'r0', timeoutMs: 5000 }), { ok: true, code: 20 })
  t.match(log(), 'outdate_rc from nodeb: dop_value "four" is not an exit code; answering 20')
})

t.test('bad requests change nothing: a resource name, a timeout, a peer that is not ha.cf\'s', async (t) => {
  const { a, pair, log, logger } = await halves(t)
  t.same(await a.request({ resource: '--help', timeoutMs: 1000 }), { ok: false, error: '"--help" is not a DRBD resource name' })
  t.same(await a.request({ resource: 'r0', timeoutMs: 0 }), { ok: false, error: 'timeoutMs 0: use 1 to 600000' })
  t.match(await a.request({ resource: 'r0', timeoutMs: 1000, peer: 'nodec' }), { ok: false, error: /DRBD's peer for r0 is nodec, but this cluster's peer is nodeb/ })
  // a peer asking for an option in place of a resource gets 20, and no drbdadm runs
  const answers: string[] = []
  const spy = new Outdater({ peer: 'nodeb', log: logger, env: pair.alpha.v1env, peerAlive: () => true, peerFenced: () => false, fenceSettled: () => Promise.resolve(), send: (m) => answers.push(`${m.get('t')} ${m.get('dop_value')} ${m.get('req_id')}`) })
  spy.heard({ msg: new Message().add('t', 'start_outdate').add('dop_res', '-c/etc/passwd').add('req_id', '9'), src: 'nodeb', type: 'start_outdate', hg: 1, link: 'eth0' })
  await until('the answer', () => answers.length === 1)
  t.same(answers, ['outdate_rc 20 9'])
  t.equal(pair.calls().filter((c) => c.includes('outdate')).length, 0, 'no drbdadm outdate ran')
  t.match(log(), 'nodeb asked to outdate "-c/etc/passwd", which is not a DRBD resource name: refused (20)')
  t.notMatch(log(), 'asking', 'nothing was sent for the bad requests')
})

t.test('a start_outdate without dop_res or with an empty req_id is answered, not fatal (found by test/fuzz)', async (t) => {
  const sent: string[] = []
  const outdater = new Outdater({
    peer: 'nodeb', log: new Logger({ tag: 'heartbeat', stderr: false }), env: process.env, peerAlive: () => true, peerFenced: () => false,
    fenceSettled: () => Promise.resolve(),
    // as the engine sends: encoded, which refuses an empty field
    send: (m) => sent.push(decode(encode(m, { index: 1, method: 'crc', key: '' })) instanceof Error ? 'unreadable' : `${m.get('dop_res')}|${m.get('dop_value')}|${m.get('req_id')}`),
  })
  outdater.heard({ msg: new Message().add('t', 'start_outdate'), src: 'nodeb', type: 'start_outdate', hg: 1, link: 'eth0' })
  outdater.heard({ msg: new Message().add('t', 'start_outdate').add('dop_res', 'r0;x').add('req_id', ''), src: 'nodeb', type: 'start_outdate', hg: 1, link: 'eth0' })
  await until('both answers', () => sent.length === 2)
  t.same(sent, [' |20|undefined', 'r0;x|20|undefined'], 'refused (20), " " for no resource, no empty req_id')
})

interface DrbdCluster {
  a: HaloNode
  b: HaloNode
  pair: Pair
  /** drbdadm ARGS run on the node, with its own drbd.conf */
  adm(n: HaloNode, ...args: string[]): ReturnType<HaloNode['vm']['exec']>
}

/** nodea and nodeb, r0 up and connected on both, their engines told where drbdadm and drbd.conf are. */
async function drbdCluster(t: Scope & Parameters<typeof drbdPair>[0], haresources?: string): Promise<DrbdCluster> {
  const byName: Record<string, HaloNode> = {}
  const pair = await drbdPair(t, {
    names: ['nodea', 'nodeb'],
    fencing: { policy: 'resource-only', handler: `${bin('drbd-peer-outdater')} -t 5` },
    enter: (name, argv) => byName[name].vm.enter(argv),
  })
  const drbd = (name: string): DrbdNode => (name === 'nodea' ? pair.alpha : pair.beta)
  const [a, b] = await cluster(t, { haresources, engineEnv: (name) => drbd(name).v1env })
  for (const n of [a, b]) {
    byName[n.name] = n
    symlinkSync(agentPath('drbddisk'), join(n.dir, 'etc/ha.d/resource.d/drbddisk'))
    await runOk([drbd(n.name).drbdadm, '-c', drbd(n.name).conf, 'up', 'r0'])
  }
  await Promise.all([a.boot(), b.boot()])
  await until('both engines see each other', async () => (await a.cmd('cl_status', 'nodestatus', 'nodeb')) === 'active' && (await b.cmd('cl_status', 'nodestatus', 'nodea')) === 'active', 10_000)
  return { a, b, pair, adm: (n, ...args) => n.vm.exec([drbd(n.name).drbdadm, '-c', drbd(n.name).conf, ...args]) }
}

const GROUPS = 'nodea drbddisk::r0 hbtest::r1\nnodeb hbtest::r3\n'
const reason = (stderr: string) => /ocf-exit-reason:(.*)/.exec(stderr)?.[1] ?? stderr

t.test('replication link cut, heartbeat up: the Primary\'s handler outdates the Secondary (4), which then refuses to be Primary', async (t) => {
  const { a, b, pair, adm } = await drbdCluster(t, GROUPS)
  await until('nodea runs its group, r0 Primary there', () => a.running('r1') && pair.r0().nodes.nodea.role === 'Primary', 15_000)
  t.equal(pair.kernLog('nodea'), '', 'connected: DRBD called no handler for the promotion')

  t.same(await pair.cutLink(), { nodea: 4 }, 'nodea\'s handler: the peer is outdated')
  t.equal(pair.r0().nodes.nodeb.disk, 'Outdated', 'nodeb\'s disk is Outdated')
  t.equal((await adm(a, 'dstate', 'r0')).stdout, 'UpToDate/Outdated\n', 'and nodea\'s DRBD knows it')
  t.match(pair.kernLog('nodea'), 'drbd-peer-outdater: r0: the peer is outdated (4)')
  t.match(pair.kernLog('nodea'), 'fence-peer helper returned 4 (peer was fenced)')
  t.match(a.haLog(), 'DRBD fence-peer: asking nodeb to outdate r0')
  t.match(a.haLog(), 'DRBD fence-peer: nodeb answers for r0: 4 (the peer is outdated)')
  t.match(b.haLog(), /DRBD fence-peer: nodea asks to outdate r0: \S+drbdadm -c \S+ outdate r0: done; answering 4/)
  t.ok(a.running('r1'), 'nodea carries on')

  const primary = await adm(b, 'primary', 'r0')
  t.equal(primary.code, 17, 'drbdadm primary on nodeb: 17')
  t.match(primary.stderr, 'r0: State change failed: (-2) Need access to UpToDate data')
  const drbddisk = await b.vm.exec([agentPath('drbddisk'), 'r0', 'start'], { env: { ...process.env, ...pair.beta.v1env } })
  t.equal(drbddisk.code, 1, 'drbddisk r0 start fails')
  t.match(drbddisk.stderr, /r0 is not Primary after 6 tries: primary r0: exit 17: .*\(-2\) Need access to UpToDate data.*; the data here is Outdated: the peer outdated it when they lost touch/)
  const promote = await b.vm.exec([agentPath('drbd'), 'promote'], { env: { ...process.env, OCF_ROOT: '/usr/lib/ocf', ...Object.fromEntries(Object.entries(pair.beta.params).map(([k, v]) => [`OCF_RESKEY_${k}`, v])) } })
  t.equal(promote.code, 1, 'the drbd agent\'s promote fails')
  t.match(reason(promote.stderr), 'r0: local data is Outdated, not UpToDate (Secondary/Unknown Outdated/DUnknown Connecting); the peer has newer data')
  t.same([pair.r0().nodes.nodea.role, pair.r0().nodes.nodeb.role], ['Primary', 'Secondary'], 'one Primary')

  pair.joinLink()
  t.same([pair.r0().connected, pair.r0().nodes.nodeb.disk], [true, 'UpToDate'], 'link back: nodeb resynchronised')
})

t.test('replication and heartbeat links both cut: the peer is unreachable (5)', async (t) => {
  const { a, b, pair, adm } = await drbdCluster(t)
  t.equal((await adm(a, 'primary', 'r0')).code, 0)
  await runOk(['ip', '-n', a.netns, 'link', 'set', 'eth0', 'down'])
  t.same(await pair.cutLink(), { nodea: 5 }, 'the handler waited for nodeb to be declared dead')
  t.match(a.haLog(), /DRBD fence-peer: nodeb is dead: r0 cannot be outdated there; answering 5/)
  t.match(pair.kernLog('nodea'), 'fence-peer helper returned 5 (peer is unreachable, assumed to be dead)')
  t.equal((await adm(a, 'dstate', 'r0')).stdout, 'UpToDate/Outdated\n', 'nodea\'s DRBD assumes the dead peer outdated')
  t.equal(pair.r0().nodes.nodeb.disk, 'UpToDate', 'nodeb was never reached')
  t.notMatch(b.haLog(), 'asks to outdate')
})

t.test('the peer is Primary: it refuses (6) and the node that asked outdates itself', async (t) => {
  const { a, b, pair, adm } = await drbdCluster(t, GROUPS)
  await until('nodea runs its group, r0 Primary there', () => a.running('r1') && pair.r0().nodes.nodea.role === 'Primary', 15_000)
  // the cable is out, and nodeb is asked to be Primary before nodea's DRBD has noticed
  pair.edit((r) => (r.link = false))
  const primary = await adm(b, 'primary', 'r0')
  t.equal(primary.code, 17, 'nodeb is not promoted')
  t.match(primary.stderr, '(-2) Need access to UpToDate data')
  t.match(pair.kernLog('nodeb'), 'Peer is primary, outdating myself.\ndrbd r0: disk( UpToDate -> Outdated )\ndrbd r0: fence-peer helper returned 6 (peer is active)')
  t.match(a.haLog(), /DRBD fence-peer: nodeb asks to outdate r0: .* outdate r0: exit 17: .*\(-2\) Need access to UpToDate data.*; answering 6 \(the peer is Primary and refused\)/)
  t.same([pair.r0().nodes.nodea.role, pair.r0().nodes.nodea.disk, pair.r0().nodes.nodeb.disk], ['Primary', 'UpToDate', 'Outdated'])
})

t.test('the peer is Inconsistent already: nothing to outdate (3)', async (t) => {
  const { a, b, pair, adm } = await drbdCluster(t, GROUPS)
  await until('nodea runs its group, r0 Primary there', () => a.running('r1') && pair.r0().nodes.nodea.role === 'Primary', 15_000)
  // a resync towards nodeb is under way
  pair.edit((r) => {
    r.nodes.nodeb.disk = 'Inconsistent'
    r.synced = 42
  })
  t.same(await pair.cutLink(), { nodea: 3 })
  t.equal((await adm(a, 'dstate', 'r0')).stdout, 'UpToDate/Inconsistent\n')
  t.match(b.haLog(), /DRBD fence-peer: nodea asks to outdate r0: .* exit 5: .*\(-16\) Disk state is lower than outdated.*; answering 3/)
  t.equal(pair.r0().nodes.nodeb.disk, 'Inconsistent')
})
