// The engine's half of halo check --peer over the real wire code on fake media: only an authentic request
// of the peer is answered; the answer carries the files (authkeys and password lines by digest only, a
// large file by digest, the whole within one datagram); a peer that never answers (an old engine, a real
// Heartbeat) gets a clear message when the bound runs out; an unreadable answer is said as such.
import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Exchange } from '../../ha.d/exchange.ts'
import { TEXT_CAP, type SharedFile } from '../../ha.d/cluster-files.ts'
import { FileExchange } from '../../ha.d/peer-files.ts'
import { LogRecorder } from '../fixtures/log-recorder.ts'
import { FakeMedia, fromB, nodeaOptions } from './fake-media.ts'

const SALT = 'ab'.repeat(16)

function node(t: Test, alive = true) {
  const dir = mkdtempSync(join(tmpdir(), 'halo-peer-files-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'ha.d'))
  mkdirSync(join(dir, 'drbd.d'))
  writeFileSync(join(dir, 'ha.d/ha.cf'), 'node nodea nodeb\nstonith_host nodea external/ipmi nodeb 10.0.0.2 admin bmc-password lan\n')
  writeFileSync(join(dir, 'ha.d/haresources'), 'nodea hbtest::r1\n')
  writeFileSync(join(dir, 'ha.d/authkeys'), 'auth 1\n1 sha1 the-cluster-key\n')
  writeFileSync(join(dir, 'drbd.d/r0.res'), `resource r0 {\n  net { shared-secret "drbd-secret"; }\n}\n# ${'x'.repeat(TEXT_CAP)}\n`)
  const media = new FakeMedia()
  const log = new LogRecorder('heartbeat', true)
  const files = new FileExchange({ peer: 'nodeb', log, send: (m) => void x.send(m), peerAlive: () => alive, files: { confDir: join(dir, 'ha.d'), monCf: join(dir, 'mon.cf'), drbdDir: join(dir, 'drbd.d') } })
  const x = new Exchange(media, nodeaOptions(log, { deliver: (h) => (h.type.startsWith('halo_files') ? files.heard(h) : undefined) }))
  t.teardown(() => x.close())
  return { media, files, log, dir }
}

const field = (fields: string[], name: string) => fields.find((f) => f.startsWith(`${name}=`))?.slice(name.length + 1)

t.test('only an authentic request of the peer is answered; secrets by digest only', async (t) => {
  const { media, log } = node(t)
  media.arrive(fromB([['t', 'halo_files'], ['dest', 'nodea'], ['req_id', '1'], ['salt', SALT]], { key: { index: 1, method: 'sha1', key: 'not-the-key' } }))
  media.arrive(fromB([['t', 'halo_files'], ['dest', 'nodea'], ['req_id', '1'], ['salt', SALT]], { src: 'nodec', seq: 1 }))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(media.take().filter((f) => field(f, 't') === 'halo_files_rc'), [], 'a forged or a stranger\'s request: no answer')

  media.arrive(fromB([['t', 'halo_files'], ['dest', 'nodea'], ['req_id', '1'], ['salt', SALT]], { seq: 1 }))
  await new Promise((resolve) => setImmediate(resolve))
  const sent = media.sent.slice()
  const answer = media.take().find((f) => field(f, 't') === 'halo_files_rc')!
  t.ok(answer, 'the peer\'s request is answered')
  t.equal(field(answer, 'dest'), 'nodeb')
  t.equal(field(answer, 'req_id'), '1')
  const files = JSON.parse(Buffer.from(field(answer, 'files')!, 'base64').toString()) as SharedFile[]
  t.same(files.map((f) => [f.name, f.state, f.text === undefined ? f.why : 'text']), [
    ['ha.cf', 'present', 'text'],
    ['haresources', 'present', 'text'],
    ['authkeys', 'present', 'the secret: compared by digest'],
    ['recovery.cf', 'missing', undefined],
    ['mon.cf', 'missing', undefined],
    ['drbd.d/r0.res', 'present', 'larger than 16 KiB: compared by digest'],
  ])
  t.match(files[0].text, /^node nodea nodeb\nstonith_host … \(holds a password: digest [0-9a-f]{12}\)\n$/)
  t.ok(files.every((f) => f.state !== 'present' || /^[0-9a-f]{64}$/.test(f.digest!)), 'every file present has its digest')
  const wire = Buffer.concat(sent).toString('latin1')
  t.notMatch(wire + log.lines.join('\n'), /bmc-password|the-cluster-key|drbd-secret/, 'no secret on the wire or in the log')
  t.ok(sent.every((b) => b.length < 65_507), 'each datagram fits UDP')
})

t.test('the requester: peer down, no answer (an old engine, a real Heartbeat), an unreadable answer', async (t) => {
  t.same(await node(t, false).files.request({ timeoutMs: 1000 }), { ok: false, error: 'nodeb is not up (its engine is stopped, or the node is down): there is nothing to compare with' })
  const { files, media } = node(t)
  t.same(await files.request({ timeoutMs: 0 }), { ok: false, error: 'timeoutMs 0: use 1 to 60000' })
  t.same(await files.request({ timeoutMs: 200 }), { ok: false, error: "nodeb did not answer within 0.2 s: its engine is not halo's (Heartbeat ignores the request) or older than this one" })
  const asked = files.request({ timeoutMs: 10_000 })
  await new Promise((resolve) => setImmediate(resolve))
  const request = media.take().filter((f) => field(f, 't') === 'halo_files').at(-1)!
  t.equal(field(request, 'dest'), 'nodeb')
  t.match(field(request, 'salt'), /^[0-9a-f]{32}$/)
  media.arrive(fromB([['t', 'halo_files_rc'], ['dest', 'nodea'], ['req_id', field(request, 'req_id')!], ['files', Buffer.from('[{"name":1}]').toString('base64')]], { seq: 1 }))
  t.same(await asked, { ok: false, error: 'nodeb answered something unreadable: not a list of files' })
})

t.test('files that together do not fit one datagram: the largest texts give way to their digests', async (t) => {
  const { media, dir } = node(t)
  for (const n of [1, 2, 3]) writeFileSync(join(dir, `drbd.d/r${n}.res`), `resource r${n} {\n}\n# ${String(n).repeat(TEXT_CAP - 100 - n * 100)}\n`)
  media.arrive(fromB([['t', 'halo_files'], ['dest', 'nodea'], ['req_id', '7'], ['salt', SALT]], { seq: 1 }))
  await new Promise((resolve) => setImmediate(resolve))
  const sent = media.sent.slice()
  const answer = media.take().find((f) => field(f, 't') === 'halo_files_rc')!
  const files = JSON.parse(Buffer.from(field(answer, 'files')!, 'base64').toString()) as SharedFile[]
  t.same(files.slice(6).map((f) => [f.name, f.text === undefined ? f.why : 'text']), [
    ['drbd.d/r1.res', 'too large to send with the rest: compared by digest'],
    ['drbd.d/r2.res', 'text'],
    ['drbd.d/r3.res', 'text'],
  ], 'the largest (r1) as a digest: the rest fits')
  t.ok(sent.every((b) => b.length < 65_507), 'each datagram fits UDP')
})
