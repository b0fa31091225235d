import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { Logger } from '../../lib/log.ts'
import { Membership, type StatusHeard } from '../../ha.d/membership.ts'

function membership(t: Test, over: Partial<ConstructorParameters<typeof Membership>[0]> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'halo-mem-'))
  const file = join(dir, 'log')
  const m = new Membership({
    self: 'nodea',
    nodes: ['nodea', 'nodeb'],
    links: ['hb0', 'hb1'],
    warntime: 2500,
    initdead: 10_000,
    log: new Logger({ tag: 'heartbeat', file, stderr: false }),
    ...over,
  })
  t.teardown(() => {
    m.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  return { m, log: () => readFileSync(file, 'utf8') }
}

const status = (over: Partial<StatusHeard> = {}): StatusHeard => ({ from: 'nodeb', generation: 7, state: 'active', deadtime: 5000, link: 'hb0', ...over })

/** the event, or a failure after `ms` */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms)))
  try {
    return await Promise.race([p, limit])
  } finally {
    clearTimeout(timer)
  }
}

t.test('a node never heard from is dead after initdead', async (t) => {
  const { m, log } = membership(t, { initdead: 200 })
  m.start()
  const [peer] = await within(5000, once(m, 'dead'))
  t.equal(peer.name, 'nodeb')
  t.equal(m.peers.get('nodeb')!.state, 'dead')
  t.match(log(), /node nodeb is dead \(never heard from; its deadtime is 200 ms\)/)
})

t.test("a peer dies by its own advertised deadtime, not ours", async (t) => {
  const { m } = membership(t)
  m.start()
  const up = once(m, 'up')
  t.equal(m.heard(status({ deadtime: 300 })), 'accepted')
  await up
  t.equal(m.peers.get('nodeb')!.state, 'active')
  const t0 = performance.now()
  await within(5000, once(m, 'dead'))
  t.ok(performance.now() - t0 >= 295, 'not before its deadtime')
  t.notOk(m.peers.get('nodeb')!.links.get('hb0')!.up, 'its links are down too')
})

t.test('statuses keep a peer alive; silence after them kills it', async (t) => {
  const { m } = membership(t)
  m.start()
  let dead = false
  m.on('dead', () => (dead = true))
  for (let i = 0; i < 5; i++) {
    m.heard(status({ deadtime: 200 }))
    await new Promise((r) => setTimeout(r, 50))
  }
  t.notOk(dead, 'alive while statuses come')
  await within(5000, once(m, 'dead'))
})

t.test('generations: lower is a replay and changes nothing; higher is a restart', async (t) => {
  const { m, log } = membership(t)
  m.start()
  m.heard(status({ generation: 7 }))
  t.equal(m.heard(status({ generation: 6, state: 'up' })), 'replay')
  t.equal(m.peers.get('nodeb')!.state, 'active')
  t.match(log(), /dropped a status from nodeb with generation 6 < 7/)
  const restart = once(m, 'restart')
  t.equal(m.heard(status({ generation: 8, state: 'up' })), 'accepted')
  await within(1000, restart)
  t.equal(m.peers.get('nodeb')!.generation, 8)
})

t.test('ourselves and strangers are not members', async (t) => {
  const { m } = membership(t)
  t.equal(m.heard(status({ from: 'nodea' })), 'self')
  t.equal(m.heard(status({ from: 'nodec' })), 'stranger')
  t.same([...m.peers.keys()], ['nodeb'])
})

t.test('a late heartbeat is logged with its interval', async (t) => {
  const { m, log } = membership(t, { warntime: 50 })
  m.heard(status())
  await new Promise((r) => setTimeout(r, 120))
  m.heard(status())
  t.match(log(), /WARN: Late heartbeat: node nodeb: interval \d+ ms/)
})

t.test('links: each is up while heard on, per peer', async (t) => {
  const { m } = membership(t)
  m.heard(status({ link: 'hb1', deadtime: 200 }))
  const links = m.peers.get('nodeb')!.links
  t.same([links.get('hb0')!.up, links.get('hb1')!.up], [false, true])
})

t.test('a departed peer (shutdone) is dead at once', async (t) => {
  const { m } = membership(t)
  m.heard(status())
  const dead = once(m, 'dead')
  m.departed('nodeb')
  await within(100, dead)
  t.equal(m.peers.get('nodeb')!.state, 'dead')
})

t.test('any proof of life postpones a death; a duplicate proves the link only', async (t) => {
  const { m, log } = membership(t, { links: ['hb0'] })
  m.start()
  let dead = false
  m.on('dead', () => (dead = true))
  m.heard(status({ deadtime: 300 }))
  const t0 = performance.now()
  let proven = t0
  // no status after the first: datagrams that prove it alive (as the exchange reports them) keep it up
  while (performance.now() - t0 < 600) {
    proven = performance.now()
    t.ok(m.alive('nodeb', 'hb0', proven), 'counted alive')
    await new Promise((r) => setTimeout(r, 50))
  }
  t.notOk(dead, 'alive past its deadtime while its datagrams come')
  t.equal(m.peers.get('nodeb')!.state, 'active')
  // duplicates (anyone can send a copy) do not keep it alive
  const died = once(m, 'dead')
  const copies = setInterval(() => m.alive('nodeb', 'hb0'), 50)
  t.teardown(() => clearInterval(copies))
  await within(5000, died)
  t.ok(performance.now() - proven >= 295, 'dead by its deadtime after the last proof')
  t.match(log(), /node nodeb is dead \(silent for \d+ ms; its deadtime is 300 ms\)/)
})

t.test('a proof of life as of a moment in the past counts from that moment', async (t) => {
  const { m } = membership(t)
  m.heard(status({ deadtime: 300 }))
  await new Promise((r) => setTimeout(r, 100))
  const sent = performance.now() - 250
  m.alive('nodeb', 'hb0', sent)
  t.ok(m.peers.get('nodeb')!.lastHeard > sent, 'an older proof changes nothing')
  const t0 = performance.now()
  m.alive('nodeb', 'hb0', t0 - 20)
  t.equal(m.peers.get('nodeb')!.lastHeard, t0 - 20)
  await within(5000, once(m, 'dead'))
  t.ok(performance.now() - (t0 - 20) >= 295, 'dead a deadtime after the moment proven')
})

t.test('a proof of life never raises a dead node: only its status does', async (t) => {
  const { m } = membership(t, { initdead: 100 })
  m.start()
  t.notOk(m.alive('nodeb', 'hb0', performance.now()), 'not counted before its first status')
  await within(5000, once(m, 'dead'))
  t.notOk(m.alive('nodeb', 'hb0', performance.now()), 'not counted once dead')
  t.equal(m.peers.get('nodeb')!.state, 'dead')
  const up = once(m, 'up')
  m.heard(status())
  await within(1000, up)
})
