// Storms at a running two-node cluster's engine (nodea): random and mutated heartbeat packets from
// nodeb's namespace, random lines at the control socket and into the FIFO. Nothing unsigned or badly
// signed may change membership or resources; the engine stays the same process, keeps answering
// cl_status, and still takes a valid packet afterwards. Last, validly signed messages with garbage
// fields: they may change state (they carry the key), but never stop the engine.
import t from 'tap'
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { controlSocket } from '../../ha.d/control.ts'
import { encode } from '../../ha.d/wire/codec.ts'
import { compose } from '../../ha.d/wire/compose.ts'
import { Message } from '../../ha.d/wire/message.ts'
import { type HaloNode, cluster } from '../harness/cluster.ts'
import { atHome, calls, engineStatus, runsExactly } from '../harness/scenario.ts'
import { lib } from '../ha.d/forge.ts'
import { CAPTURES, capture } from '../ha.d/wire/captures.ts'
import { until } from '../../lib/wait.ts'
import { Rng, SEED, mutateBytes, seedNote, tries } from './mutate.ts'
import { KEY, type Peer, forged, untrusted } from './packets.ts'
import { talk, udpSender } from './send.ts'

/** Everything nodea can be asked about its cluster, as cl_status and the engine's status say it. */
async function state(a: HaloNode, b: HaloNode) {
  const status = await engineStatus(a)
  return {
    pid: status.pid,
    resources: status.resources,
    nodes: status.nodes.map((n) => `${n.name} ${n.status} ${n.links.map((l) => `${l.iface}:${l.status}`).join(',')}`),
    nodeb: await a.cmd('cl_status', 'nodestatus', 'nodeb'),
    rscA: await a.cmd('cl_status', 'rscstatus'),
    rscB: await b.cmd('cl_status', 'rscstatus'),
    placed: runsExactly(a, ['r1', 'r2']) && runsExactly(b, ['r3']),
    hbtestCalls: calls(a).length + calls(b).length,
  }
}

/** The kernel's UDP counters in nodea's namespace: a full receive buffer drops packets before the engine sees them. */
const udpErrors = (a: HaloNode) => readFileSync(`/proc/${a.vm.pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Udp:')).join(' / ')

const dropped = async (a: HaloNode) => {
  const d = (await engineStatus(a)).drops!
  return { refused: d.malformed + d.unauthentic, accepted: d.strangers + d.replays }
}

/** A line for the control socket that is not a valid request (or a harmless status request). */
function controlLine(rng: Rng): string {
  const value = () => rng.pick<unknown>([null, 0, -1, 1e309, 'all', 'bogus', '', [], {}, true, 'x'.repeat(1000), { set: 'all' }, '__proto__'])
  switch (rng.int(6)) {
    case 0:
      return rng.bytes(rng.int(200)).toString('latin1').replace(/\n/g, ' ')
    case 1:
      return rng.pick(['', ' ', '{', '}', '[', 'null', '1', '"status"', '{"op":', '[{"op":"status"}]', '{"op":"status"}{"op":"shutdown"}', '['.repeat(5000)])
    case 2:
      // never a set that is one (all, local, foreign): that request would be carried out, rightly
      return JSON.stringify({ op: rng.pick(['standby', 'takeover']), set: rng.pick<unknown>([value(), 'ALL', 'none', ' all', 'local\n', undefined].filter((v) => v !== 'all')) })
    case 3:
      return JSON.stringify({ op: 'outdate', resource: value(), timeoutMs: value(), peer: value() })
    case 4:
      return JSON.stringify({ op: rng.pick(['constructor', '__proto__', 'toString', 'STATUS', 'stop', 'reset', value()]) })
    default:
      return JSON.stringify({ op: 'status', [rng.pick(['set', 'x', '__proto__'])]: value() })
  }
}

function readAnswer(line: string): { ok?: unknown } | undefined {
  try {
    return JSON.parse(line) as { ok?: unknown }
  } catch {
    return undefined
  }
}

const isStatus = (request: string) => (readAnswer(request) as { op?: unknown } | null)?.op === 'status'

/** A classic-form message for the FIFO that asks for nothing (no standby, no takeover). */
function fifoMessage(rng: Rng): Buffer {
  const fields = Array.from({ length: rng.int(5) }, () => `${rng.pick(['t', 'rsc_hold', 'info', 'x', '(1)t', '(2)t', '(9)y', ''])}=${rng.pick(['status', 'fuzz', 'YWxs', 'me', 'all', 'none', ''])}`)
  const text = `>>>\n${fields.join('\n')}${fields.length ? '\n' : ''}<<<\n`
  return rng.chance(0.3) ? mutateBytes(rng, Buffer.from(text, 'latin1'), ['>>>\n', '<<<\n', '\n', '=']) : Buffer.from(text, 'latin1')
}

/** A valid message nodea acts on visibly (its debug log names it) but that changes nothing: an unknown NS_ type. */
function probe(b: HaloNode, name: string, hg?: number): Buffer {
  const sender = { node: 'nodeb', uuid: lib(b, 'hb_uuid'), generation: hg ?? Number(lib(b, 'hb_generation')), ttl: 3 }
  return encode(compose(new Message().add('t', `NS_${name}`), sender, { ts: Math.floor(Date.now() / 1000) }), KEY)
}

t.test('packets, control lines and FIFO messages at a running engine', async (t) => {
  t.comment(seedNote('engine'))
  const rng = new Rng(SEED, 'engine')
  const [a, b] = await cluster(t, { hacf: 'debug 1' })
  // an engine that dies says why on its node's console
  t.teardown(() => {
    if (t.passing()) return
    for (const n of [a, b]) t.comment(`${n.name}'s console:\n${readFileSync(join(n.dir, 'console'), 'utf8').slice(-4000)}`)
  })
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  const peer: Peer = { uuid: lib(b, 'hb_uuid'), generation: Number(lib(b, 'hb_generation')) }
  const debugLog = () => readFileSync(join(a.dir, 'var/lib/heartbeat/ha-debug'), 'latin1')
  /** whether nodea took a valid message of nodeb's (its debug log names it) */
  const accepted = async (name: string, hg?: number): Promise<boolean> => {
    const taken = () => debugLog().includes(`got t=NS_${name} from nodeb`)
    await sender.send([probe(b, name, hg)])
    await until(`nodea to take nodeb's valid t=NS_${name}`, taken, 10_000).catch(() => {})
    return taken()
  }
  const before = await state(a, b)
  t.ok(before.placed, 'each node runs its own group')

  // 1. packets nobody with the key sent, in batches, each batch counted as dropped before the next
  const sender = udpSender(t, b.netns, a.address)
  const captured = CAPTURES.flatMap((c) => capture(c.name).packets.map((p) => p.payload))
  const start = await dropped(a)
  const n = tries(4000)
  for (let sent = 0; sent < n; ) {
    // small batches: a burst larger than the socket's receive buffer would be dropped by the kernel, uncounted
    const batch = Array.from({ length: Math.min(40, n - sent) }, () => untrusted(rng, peer, captured))
    await sender.send(batch)
    sent += batch.length
    let now = start
    await until(`nodea to drop the ${sent} packets sent so far`, async () => (now = await dropped(a)).refused - start.refused >= sent, 20_000).catch((e) => {
      throw new Error(`${e.message}: ${now.refused - start.refused} dropped, ${now.accepted - start.accepted} went further; udp of nodea: ${udpErrors(a)}`)
    })
  }
  const end = await dropped(a)
  t.comment(`fuzz engine: ${n} untrusted packets sent to nodea's udp/694, ${end.refused - start.refused} dropped as malformed or not authentic`)
  t.same(end, { refused: start.refused + n, accepted: start.accepted }, 'every one dropped as malformed or not authentic, none went further')
  t.same(await state(a, b), before, 'membership, resources and the engine process are as they were')
  t.ok(await accepted('probe1'), 'a valid packet of nodeb is still taken')

  // 2. the control socket: random bytes, lines that are not requests, requests with bad arguments
  const socket = a.vm.path(controlSocket({}))
  const lines = tries(1500)
  const wrong: string[] = []
  // first what the fuzz once found: a standby of an unknown set was carried out, an unknown op answered "undefined"
  const found = ['{"op":"standby","set":"bogus"}', '{"op":"takeover","set":{"set":"all"}}', '{"op":"nosuch"}', 'null', '[{"op":"status"}]']
  for (let done = 0; done < lines; ) {
    const chunk = Array.from({ length: Math.min(50, lines - done) }, () => (done === 0 && found.length > 0 ? found.shift()! : controlLine(rng)))
    done += chunk.length
    const answers = await talk(socket, Buffer.from(`${chunk.join('\n')}\n`, 'latin1'), chunk.length)
    if (answers.length !== chunk.length) wrong.push(`${chunk.length} lines got ${answers.length} answers`)
    answers.forEach((answer, i) => {
      const request = chunk[i]
      // only a status request is carried out; all else is refused
      if (readAnswer(answer)?.ok !== isStatus(request)) wrong.push(`${JSON.stringify(request.slice(0, 80))} → ${answer.slice(0, 120)}`)
    })
  }
  // and a connection that sends bytes without ever ending a line, then goes
  await talk(socket, Buffer.from(rng.bytes(100_000).toString('latin1').replace(/\n/g, ' '), 'latin1'), 1, 200)
  t.comment(`fuzz control socket: ${lines} lines sent`)
  t.same(wrong.slice(0, 5), [], 'each line answered; only the status requests carried out')
  t.same(await state(a, b), before, 'nothing changed')

  // 3. the legacy FIFO: messages that ask for nothing, readable or not
  const fifo = join(a.dir, 'var/lib/heartbeat/fifo')
  const messages = tries(500)
  const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
  try {
    // first what the fuzz once found: a binary t field stopped the engine
    writeSync(fd, '>>>\n(1)t=YWxs\n<<<\n>>>\nt=hb_takeover\nrsc_hold=bogus\n<<<\n')
    for (let i = 0; i < messages; i++) writeSync(fd, fifoMessage(rng))
    // whatever the garbage left unfinished, this ends it
    writeSync(fd, '\n<<<\n')
  } finally {
    closeSync(fd)
  }
  t.ok(await accepted('probe2'), 'a valid packet of nodeb is still taken after the FIFO garbage')
  t.comment(`fuzz FIFO: ${messages} messages written`)
  t.same(await state(a, b), before, 'nothing changed, and the engine still takes packets')

  // 4. validly signed messages with garbage fields: they may move things, never stop the engine
  const signed = tries(1000)
  for (let sent = 0; sent < signed; ) {
    const batch = Array.from({ length: Math.min(100, signed - sent) }, () => {
      const m = forged(rng, peer, { hg: rng.chance(0.9) ? undefined : rng.int(2 ** 40), seq: rng.chance(0.5) ? rng.int(1000) : undefined })
      return encode(m, KEY)
    })
    await sender.send(batch)
    sent += batch.length
    // each batch read before the next: the engine answers this status request only once it has
    await engineStatus(a)
  }
  t.comment(`fuzz engine: ${signed} validly signed messages with garbage fields sent`)
  const after = await engineStatus(a)
  t.equal(after.pid, before.pid, 'the same engine process serves')
  t.match(await a.cmd('halo-heartbeat', '-s'), /is running on nodea/, 'halo-heartbeat -s finds it running')
  t.not(await a.cmd('cl_status', 'hbstatus'), '', 'cl_status hbstatus answers')
  // a generation above any the garbage named, so it is not a replay
  t.ok(await accepted('probe3', 2 ** 52 - 1), 'and a valid packet of nodeb is still taken')
})
