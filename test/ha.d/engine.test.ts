// ha.d/engine.ts on fake media (its exchange is the real one, over test/ha.d/fake-media.ts): what it sends,
// which resource scripts it runs with which argv, what its control socket and the legacy FIFO answer, what
// it logs. nodea owns a1 and a2, nodeb owns b1; the scripts are one recorder in a scratch directory.
import t, { type Test } from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../lib/errors.ts'
import { LogRecorder } from '../fixtures/log-recorder.ts'
import { until } from '../../lib/wait.ts'
import { type Answer, type Request, ask, writeFifo } from '../../ha.d/control.ts'
import { Engine } from '../../ha.d/engine.ts'
import type { EngineConfig } from '../../ha.d/settings.ts'
import { Exchange } from '../../ha.d/exchange.ts'
import type { AuthKey } from '../../ha.d/config/authkeys.ts'
import { DEFAULT_POLICY } from '../../ha.d/config/recovery.ts'
import { FakeMedia, KEY, fromB } from './fake-media.ts'
import { keySet } from './wire/captures.ts'

/** A resource script that logs its argv and keeps whether its resource runs. */
const RECORDER = `#!/bin/sh
eval action=\\\${$#}
echo "$(basename "$0") $*" >> "$REC_DIR/runs"
case $action in
  start) touch "$REC_DIR/$1" ;;
  stop) rm -f "$REC_DIR/$1" ;;
  status) if [ -e "$REC_DIR/$1" ]; then echo running; else echo stopped; fi ;;
esac
`

const config = (over: Partial<EngineConfig> = {}): EngineConfig => ({
  node: 'nodea',
  nodes: ['nodea', 'nodeb'],
  keepalive: 200,
  deadtime: 2000,
  warntime: 1000,
  initdead: 10_000,
  deadping: 2000,
  media: [{ kind: 'ucast', iface: 'eth1', peer: '10.0.0.2', port: 694 }],
  pingNodes: [],
  autoFailback: 'off',
  groups: [
    { owner: 'nodea', resources: [{ script: 'Rec', args: ['a1'] }, { script: 'Rec', args: ['a2'] }] },
    { owner: 'nodeb', resources: [{ script: 'Rec', args: ['b1'] }] },
  ],
  auth: keySet(KEY),
  parameters: { deadtime: '2' },
  hopfudge: 1,
  respawn: { file: 'ha.cf', clients: [], env: {} },
  recovery: { default: DEFAULT_POLICY, resources: {} },
  ...over,
})

async function engine(t: Test, over: Partial<EngineConfig> = {}, reloadConfig: () => EngineConfig = () => config(over)) {
  const dir = mkdtempSync(join(tmpdir(), 'halo-engine-'))
  const scripts = join(dir, 'resource.d')
  mkdirSync(scripts)
  writeFileSync(join(scripts, 'Rec'), RECORDER)
  chmodSync(join(scripts, 'Rec'), 0o755)
  const media = new FakeMedia()
  const log = new LogRecorder('heartbeat')
  const e = new Engine(config(over), {
    stateDir: dir,
    controlSocket: join(dir, 'heartbeat.sock'),
    fifo: join(dir, 'fifo'),
    log,
    scriptEnv: { PATH: process.env.PATH, REC_DIR: dir },
    scriptDirs: [scripts],
    rcDir: join(dir, 'rc.d'),
    reloadConfig,
    openWire: async (_media, opts) => new Exchange(media, opts),
  })
  t.teardown(async () => {
    await e.shutdown()
    rmSync(dir, { recursive: true, force: true })
  })
  await e.start()
  const runs = () => (existsSync(join(dir, 'runs')) ? readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter((l) => l && !l.endsWith(' status')) : [])
  /** the type's own fields of each message sent since the last call (what comes before src) */
  const sent = () => media.take().map((fields) => fields.slice(0, fields.findIndex((f) => f.startsWith('src=') || f.startsWith('destuuid='))).join(' '))
  let seq = 0
  const fromPeer = (...own: [string, string][]) => media.arrive(fromB(own, { seq: ++seq }))
  const request = (r: Request | Record<string, unknown>): Promise<Answer | undefined> => ask(r as Request, join(dir, 'heartbeat.sock'), 3000)
  return { e, dir, media, log, runs, sent, fromPeer, request, logged: () => log.lines.join('\n') }
}

const hex = (n: number) => n.toString(16)

t.test('no peer within initdead: starts alone, every group left to right; its status says up, then active', async (t) => {
  const s = await engine(t, { initdead: 300 })
  await until('nodea to start its groups alone', () => s.runs().length === 3, 5000)
  t.same(s.runs(), ['Rec a1 start', 'Rec a2 start', 'Rec b1 start'])
  t.match(s.logged(), /info: node nodeb is not up: starting alone/)
  await until('the groups to settle', () => s.e.status().resources === 'all', 3000)
  const sent = s.sent()
  t.equal(sent[0], `t=status st=up dt=${hex(2000 + 2000)} protocol=1`, 'the first status: up, deadtime + 2 s while it is young')
  t.ok(sent.includes('t=starting'), 'starting once communication is up')
  t.ok(sent.includes('t=resource rsc_hold=all rtype=full isstable=1 info=req_our_resources()'))
  await until('a status after comm up', () => s.sent().some((m) => m.startsWith('t=status st=active')), 2000)
  t.match(s.e.status(), { node: 'nodea', resources: 'all', nodes: [{ name: 'nodea', status: 'active', links: [{ iface: 'eth1', status: 'up' }] }, { name: 'nodeb', status: 'dead' }] })
})

t.test('the peer\'s status: it is up, asked for its nodes, told we start; it holds nothing and is stable, so we take our own', async (t) => {
  const s = await engine(t)
  s.sent()
  s.fromPeer(['t', 'status'], ['st', 'up'], ['dt', hex(2000)], ['protocol', '1'])
  t.same(s.sent(), ['t=NS_ackmsg dest=nodeb ackseq=1', 't=reqnodes dest=nodeb', 't=starting'])
  t.match(s.logged(), /info: node nodeb is up\n.*info: communication with the peer is up: negotiating resources/)
  s.fromPeer(['dest', 'nodea'], ['t', 'reqnodes'])
  t.same(s.sent(), ['dest=nodeb t=repnodes nodelist=nodea nodeb  delnodelist= '], 'its reqnodes answered with our node list')
  s.fromPeer(['t', 'resource'], ['rsc_hold', 'none'], ['rtype', 'full'], ['isstable', '1'])
  await until('nodea to start its own groups', () => s.runs().length === 2, 5000)
  t.same(s.runs(), ['Rec a1 start', 'Rec a2 start'], 'only the groups nodea owns')
  await until('the start to settle', () => s.e.status().resources === 'local', 3000)
  t.match(s.e.status(), { nodes: [{ name: 'nodea' }, { name: 'nodeb', status: 'up', links: [{ iface: 'eth1', status: 'up' }] }] })
})

t.test('shutdone from the peer: it is dead at once and its groups are taken without waiting for deadtime', async (t) => {
  const s = await engine(t)
  s.fromPeer(['t', 'status'], ['st', 'active'], ['dt', hex(60_000)], ['protocol', '1'])
  s.fromPeer(['t', 'resource'], ['rsc_hold', 'local'], ['rtype', 'full'], ['isstable', '1'])
  await until('the start to settle', () => s.e.status().resources === 'local', 5000)
  s.fromPeer(['t', 'shutdone'], ['st', 'dead'])
  await until('nodea to take b1', () => s.runs().includes('Rec b1 start'), 5000)
  t.match(s.logged(), /info: node nodeb is shutting down: taking over at once/)
  t.match(s.e.status(), { nodes: [{}, { name: 'nodeb', status: 'dead' }] })
  s.fromPeer(['t', 'status'], ['st', 'active'], ['dt', hex(60_000)], ['protocol', '1'])
  t.match(s.e.status(), { nodes: [{}, { name: 'nodeb', status: 'dead' }] }, 'a status it sends after its shutdone does not raise it')
})

t.test('control socket: status, and requests of the wrong shape or out of place refused with why', async (t) => {
  const s = await engine(t)
  t.match(await s.request({ op: 'status' }), { ok: true, status: { node: 'nodea', resources: 'transition', version: /^3\.0\.6 / } })
  t.same(await s.request({ op: 'standby', set: 'bogus' }), { ok: false, error: 'standby "bogus": say all, local or foreign' })
  t.same(await s.request({ op: 'takeover', set: { set: 'all' } }), { ok: false, error: 'takeover {"set":"all"}: say all, local or foreign' })
  t.same(await s.request({ op: 'takeover', set: 'all' }), { ok: false, error: 'no peer is up: this node already runs what it can' })
  t.same(await s.request({ op: 'standby', set: 'all' }), { ok: false, error: 'standby [all] refused: no peer is up to take the resources' })
  t.match(await s.request({ op: 'nosuch' }), { ok: false, error: /^unknown request "nosuch"/ })
  t.same(s.sent().filter((m) => !m.startsWith('t=status')), [], 'nothing of it reached the wire')
})

t.test('reload: a bad file changes nothing; a new key signs what follows; other changes wait for a restart', async (t) => {
  const next: AuthKey = { index: 2, method: 'sha1', key: 'the-new-key' }
  let reread: () => EngineConfig = () => {
    throw new ConfigError('/etc/ha.d/authkeys', 3, 'auth 2: no key 2 in this file')
  }
  const s = await engine(t, {}, () => reread())
  t.same(await s.request({ op: 'reload' }), { ok: false, error: '/etc/ha.d/authkeys:3: auth 2: no key 2 in this file (nothing changed)' })
  t.match(s.logged(), /err: reload refused, nothing changed: \/etc\/ha\.d\/authkeys:3/)
  reread = () => config({ auth: keySet(next, KEY), deadtime: 5000 })
  t.match(await s.request({ op: 'reload' }), { ok: true, message: 'configuration re-read; restart halo-heartbeat to apply the changes to deadtime' })
  t.match(s.logged(), /info: configuration re-read: signing with key 2 \(sha1\)\n.*warn: changes to deadtime take effect when halo-heartbeat restarts/)
  s.media.sent.length = 0
  await until('the next status', () => s.media.sent.length > 0, 2000)
  t.match(s.media.take()[0].at(-1), /^auth=2 [0-9a-f]{40}$/, 'signed with the new key')
})

t.test('the legacy FIFO: hb_standby\'s and hb_takeover\'s messages are requests; anything else is ignored, said once', async (t) => {
  const s = await engine(t)
  const fifo = join(s.dir, 'fifo')
  t.ok(writeFifo(fifo, { t: 'ask_resources', rsc_hold: 'local', info: 'me' }))
  t.ok(writeFifo(fifo, { t: 'hb_takeover', rsc_hold: 'foreign' }))
  t.ok(writeFifo(fifo, { t: 'status' }))
  await until('the three messages to be read', () => s.log.lines.length >= 4, 3000)
  // the refusals are answered after the request's promise, the ignored message at once: compare as a set
  const warnings = s.log.lines.filter((l) => l.startsWith('warn:')).sort()
  t.same(warnings, [
    'warn: standby [local] refused: no peer is up to take the resources',
    'warn: no peer is up: this node already runs what it can',
    `warn: ${fifo}: message t=status ignored (halo acts on ask_resources and hb_takeover)`,
  ].sort())
})

t.test('shutdown: resource none info=shutdown, every group stopped right to left, shutdone, then done', async (t) => {
  const s = await engine(t, { initdead: 300 })
  await until('the groups to settle', () => s.e.status().resources === 'all', 5000)
  s.sent()
  t.match(await s.request({ op: 'shutdown' }), { ok: true, message: 'shutting down' })
  await s.e.done
  t.same(s.runs().slice(3), ['Rec b1 stop', 'Rec a2 stop', 'Rec a1 stop'])
  t.same(s.sent().filter((m) => !m.startsWith('t=status')), ['t=resource rsc_hold=none rtype=full isstable=0 info=shutdown', 't=shutdone st=dead'])
  t.equal(await s.request({ op: 'status' }), undefined, 'the control socket is closed')
})
