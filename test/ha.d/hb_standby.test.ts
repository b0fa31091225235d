// hb_standby and hb_takeover, built, against a stand-in engine on a socket and against a FIFO.
import t from 'tap'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, runOk } from '../../lib/exec.ts'
import { serveControl, type Request } from '../../ha.d/control.ts'
import { openFifo } from '../../ha.d/fifo.ts'

const bin = (name: string) => fileURLToPath(new URL(`../../dist/bin/${name}`, import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'halo-hbs-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH,
  HALO_CONTROL: join(dir, 'none.sock'),
  HA_FIFO: join(dir, 'nofifo'),
  ...extra,
})

t.test('no engine and no heartbeat: a clear error at once, no file created', async (t) => {
  const r = await run([bin('hb_standby')], { env: env(), timeout: 10_000 })
  t.equal(r.code, 1)
  t.match(r.stderr, /no heartbeat runs on this node: nothing answers on .*none\.sock and nothing reads .*nofifo/)
  t.notOk(existsSync(join(dir, 'nofifo')), 'Heartbeat\'s own script would have created a plain file here')
})

t.test('a FIFO nobody reads: an error, not a hang', async (t) => {
  const fifo = join(dir, 'fifo-unread')
  await runOk(['mkfifo', '-m', '600', fifo])
  const r = await run([bin('hb_takeover')], { env: env({ HA_FIFO: fifo }), timeout: 10_000 })
  t.equal(r.code, 1)
  t.notOk(r.timedOut)
})

t.test('a running Heartbeat gets the classic message through its FIFO', async (t) => {
  const fifo = join(dir, 'fifo-read')
  const reader = await openFifo(fifo)
  t.teardown(() => reader.destroy())
  const got = new Promise<string>((resolve) => reader.once('data', (d) => resolve(String(d))))
  const r = await run([bin('hb_standby'), 'failback'], { env: env({ HA_FIFO: fifo }), timeout: 10_000 })
  t.equal(r.code, 0, r.stderr)
  t.equal(await got, '>>>\nt=ask_resources\nrsc_hold=foreign\ninfo=me\n<<<\n')
  const tk = new Promise<string>((resolve) => reader.once('data', (d) => resolve(String(d))))
  await run([bin('hb_takeover'), 'local'], { env: env({ HA_FIFO: fifo }), timeout: 10_000 })
  t.equal(await tk, '>>>\nt=hb_takeover\nrsc_hold=local\n<<<\n')
})

t.test('the halo engine gets the request and its answer is shown', async (t) => {
  const socket = join(dir, 'engine.sock')
  const seen: Request[] = []
  const server = await serveControl(socket, async (req) => {
    seen.push(req)
    return req.op === 'takeover' ? { ok: false, error: 'nodeb is dead: nothing to take over from' } : { ok: true, message: 'going standby [all]: nodeb takes the groups' }
  })
  t.teardown(() => server.close())
  const s = await run([bin('hb_standby')], { env: env({ HALO_CONTROL: socket }) })
  t.same([s.code, s.stdout], [0, 'going standby [all]: nodeb takes the groups\n'])
  const k = await run([bin('hb_takeover'), 'foreign'], { env: env({ HALO_CONTROL: socket }) })
  t.same([k.code, k.stderr], [1, 'hb_takeover: nodeb is dead: nothing to take over from\n'])
  // hb_standby says who ran it, for the event history
  t.same(seen, [{ op: 'standby', set: 'all', by: 'hb_standby run by hb_standby.test.ts' }, { op: 'takeover', set: 'foreign' }])
  t.equal((await import('node:fs')).statSync(socket).mode & 0o777, 0o600, 'the control socket is root-only')
})

t.test('an engine that never answers: non-zero within the bound', async (t) => {
  const socket = join(dir, 'mute.sock')
  const mute = createServer(() => {}).listen(socket)
  t.teardown(() => mute.close())
  await new Promise((r) => mute.once('listening', r))
  const r = await run([bin('hb_standby')], { env: env({ HALO_CONTROL: socket }), timeout: 20_000 })
  t.equal(r.code, 1)
  t.notOk(r.timedOut, 'gave up by itself')
  t.match(r.stderr, /did not answer within 5 s/)
})

t.test('bad arguments: usage, exit 1, nothing sent', async (t) => {
  for (const args of [['bogus'], ['all', 'local']]) {
    const r = await run([bin('hb_standby'), ...args], { env: env() })
    t.equal(r.code, 1)
    t.match(r.stderr, /usage: hb_standby \[all\|foreign\|local\|failback\]/)
  }
  t.same(readdirSync(dir).filter((f) => f.startsWith('no')), [], 'nothing created')
})
