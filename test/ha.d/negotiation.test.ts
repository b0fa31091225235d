// Heartbeat's v1 resource negotiation, one transition at a time, behind a fake NegotiationIo: what the
// node sends (fields as the captures print them), starts and stops, in order. Time is node:test's mock
// clock, so the 10 s waits cost nothing. The reference: ../shared/reference/heartbeat-v1.md ("Resource
// negotiation") and the real Heartbeat 3.0.6 captures in test/fixtures/heartbeat-wire.
import t, { type Test } from 'tap'
import { mock } from 'node:test'
import { LogRecorder } from '../fixtures/log-recorder.ts'
import { BOTH_STARTING_MS, Negotiation, STANDBY_REPLY_MS, type Hold, type NegotiationIo } from '../../ha.d/negotiation.ts'
import { CAPTURES, capture } from './wire/captures.ts'

/** the retry of a deferred auto_failback or hand-over (FAILBACK_RETRY_MS, not exported) */
const RETRY_MS = 1000

/** nodea's side: every message and every start and stop, in order */
class FakeIo implements NegotiationIo {
  readonly log = new LogRecorder('heartbeat')
  readonly peer = 'nodeb'
  alive = true
  /** sides whose start fails */
  readonly failing = new Set<string>()
  /** while set, starts wait for it */
  gate?: Promise<void>
  private events: string[] = []

  constructor(readonly autoFailback: boolean) {}

  send(fields: [string, string][]): void {
    this.events.push(fields.map(([n, v]) => `${n}=${v}`).join(' '))
  }
  async acquire(side: 'local' | 'foreign'): Promise<boolean> {
    this.events.push(`acquire ${side}`)
    await this.gate
    return !this.failing.has(side)
  }
  async release(side: 'local' | 'foreign' | 'everything'): Promise<void> {
    this.events.push(`release ${side}`)
  }
  peerAlive(): boolean {
    return this.alive
  }
  /** what happened since the last call */
  take(): string[] {
    const e = this.events
    this.events = []
    return e
  }
  logged(): string {
    return this.log.lines.join('\n')
  }
}

function negotiation(t: Test, autoFailback = true) {
  mock.timers.enable({ apis: ['setTimeout'] })
  const io = new FakeIo(autoFailback)
  const n = new Negotiation(io)
  t.teardown(() => {
    n.stop()
    mock.timers.reset()
  })
  return { io, n }
}

/** the queued starts and stops run out (the fake's are promises only, unless gated) */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

const resource = (hold: Hold, stable: 0 | 1, info?: string) => `t=resource rsc_hold=${hold} rtype=full isstable=${stable}${info ? ` info=${info}` : ''}`
const ask = (set: Hold, info: 'me' | 'other' | 'done') => `t=ask_resources rsc_hold=${set} info=${info}`
const stonith = (result: 'unneeded' | 'OK' | 'n_stnth') => `t=stonith node=nodeb result=${result}`
const STARTING = 't=starting'
const MACH_DOWN = 't=resource rsc_hold=foreign info=mach_down'
const SHUTDONE = 't=shutdone st=dead'

/** Comm up, the peer stable and holding `peerHolds`: we run our own groups unless it holds them. */
async function stable(t: Test, peerHolds: Hold, autoFailback = true) {
  const s = negotiation(t, autoFailback)
  s.n.commUp(true)
  s.n.onResource(peerHolds, '1', undefined)
  await settle()
  s.io.take()
  return s
}

/** Alone at comm up (so holding all), then joined by a peer that holds nothing and is stable. */
async function holdingAll(t: Test, autoFailback: boolean) {
  const s = negotiation(t, autoFailback)
  s.n.commUp(false)
  await settle()
  s.n.onStarting()
  s.n.onResource('none', '1', undefined)
  await settle()
  s.io.take()
  return s
}

t.test('comm up with no peer: starting, then every group, told as req_our_resources()', async (t) => {
  const { io, n } = negotiation(t)
  n.commUp(false)
  t.equal(n.resourceState(), 'transition', 'while the groups start')
  await settle()
  t.same(io.take(), [STARTING, 'acquire local', 'acquire foreign', resource('all', 1, 'req_our_resources()')])
  t.equal(n.resourceState(), 'all')
  n.commUp(false)
  t.same(io.take(), [], 'comm up happens once')
})

t.test('comm up with the peer up: starting, and nothing is taken before it answers', async (t) => {
  const { io, n } = negotiation(t)
  n.commUp(true)
  await settle()
  mock.timers.tick(BOTH_STARTING_MS)
  t.same(io.take(), [STARTING])
  t.equal(n.resourceState(), 'transition')
})

t.test('resource exchange, peer stable: our own groups are taken (as nodeb in ucast-md5)', async (t) => {
  const { io, n } = negotiation(t)
  n.commUp(true)
  n.onResource('none', '1', undefined)
  t.same(io.take(), [STARTING, resource('none', 0), resource('local', 1)], 'the answer, then the claim before the start')
  await settle()
  t.same(io.take(), ['acquire local', resource('local', 1, 'req_our_resources()')])
  t.equal(n.resourceState(), 'local')
  mock.timers.tick(BOTH_STARTING_MS)
  t.same(io.take(), [], 'the wait for a peer starting too was cancelled')
})

t.test('resource exchange, the peer holds our groups: none are taken (nice failback)', async (t) => {
  const { io, n } = negotiation(t)
  n.commUp(true)
  n.onResource('foreign', '1', undefined)
  await settle()
  t.same(io.take(), [STARTING, resource('none', 0), resource('none', 1)])
  t.equal(n.resourceState(), 'none')
})

t.test('starting from the peer is answered with what we hold, stable or not', async (t) => {
  const { io, n } = negotiation(t)
  n.onStarting()
  t.same(io.take(), [], 'not before our own comm up')
  n.commUp(false)
  await settle()
  io.take()
  n.onStarting()
  t.same(io.take(), [resource('all', 1)], 'stable: isstable=1 (nodea in bcast-sha1)')
  t.equal(n.resourceState(), 'transition', 'until the peer says it is stable')
})

t.test('both starting together: isstable=0 both ways, then each takes its own after 10 s (bcast-crc)', async (t) => {
  const { io, n } = negotiation(t)
  n.commUp(true)
  n.onStarting()
  n.onResource('none', '0', undefined)
  t.same(io.take(), [STARTING, resource('none', 0)])
  mock.timers.tick(BOTH_STARTING_MS - 1)
  await settle()
  t.same(io.take(), [], 'nothing before 10 s')
  mock.timers.tick(1)
  t.same(io.take(), [resource('local', 1)])
  await settle()
  t.same(io.take(), ['acquire local', resource('local', 1, 'req_our_resources()')])
  n.onResource('local', '1', undefined)
  t.same(io.take(), [resource('local', 1)], 'the peer became stable: told again')
  t.equal(n.resourceState(), 'local')
})

t.test('a group that fails to start goes to the peer by a standby for it', async (t) => {
  t.test('peer up: hb_standby for the group', async (t) => {
    const { io, n } = negotiation(t)
    io.failing.add('local')
    n.commUp(true)
    n.onResource('none', '1', undefined)
    await settle()
    t.same(io.take(), [STARTING, resource('none', 0), resource('local', 1), 'acquire local', resource('none', 1, 'req_our_resources()'), ask('local', 'me')])
  })
  t.test('no peer: it stays stopped', async (t) => {
    const { io, n } = negotiation(t)
    io.failing.add('local')
    io.alive = false
    n.commUp(false)
    await settle()
    t.same(io.take(), [STARTING, 'acquire local', 'acquire foreign', resource('foreign', 1, 'req_our_resources()')])
    t.match(io.logged(), /no peer is up to take the groups that failed to start \[local\]: they stay stopped/)
    t.equal(n.resourceState(), 'foreign')
  })
})

// standby [set] on nodea, holding all: [set relative to nodea, what it keeps, what it stops, what the peer then holds]
const STANDBY: [Hold, Hold, string[], Hold][] = [
  ['all', 'none', ['release foreign', 'release local'], 'all'],
  ['foreign', 'local', ['release foreign'], 'local'],
  ['local', 'foreign', ['release local'], 'foreign'],
]

for (const [set, keeps, stops, peerHolds] of STANDBY) {
  t.test(`standby ${set}, three phases, on the node that goes standby: me, other, done, done`, async (t) => {
    const { io, n } = await holdingAll(t, false)
    t.equal(n.requestStandby(set, true), undefined)
    t.same(io.take(), [ask(set, 'me')])
    t.equal(n.resourceState(), 'transition')
    n.onAskResources(set, 'other')
    t.same(io.take(), [resource(keeps, 0, 'standby')], 'what it keeps, announced before it stops the rest')
    await settle()
    t.same(io.take(), [...stops, ask(set, 'done')])
    n.onAskResources(set, 'done')
    t.same(io.take(), [resource(keeps, 1)])
    n.onResource(peerHolds, '1', undefined)
    t.same(io.take(), [resource(keeps, 1)], 'the peer stable again')
    t.equal(n.resourceState(), keeps)
  })
}

// the peer, holding all, goes standby: [set relative to it, what it keeps, what nodea starts, what nodea then holds]
const TAKEN: [Hold, Hold, string[], Hold][] = [
  ['all', 'none', ['acquire local', 'acquire foreign'], 'all'],
  ['local', 'foreign', ['acquire foreign'], 'foreign'],
  ['foreign', 'local', ['acquire local'], 'local'],
]

for (const [set, peerKeeps, starts, holds] of TAKEN) {
  t.test(`standby ${set} of the peer, three phases, on the node that takes over: other, then done after its done`, async (t) => {
    const { io, n } = await stable(t, 'all')
    n.onAskResources(set, 'me')
    t.same(io.take(), [ask(set, 'other')])
    t.equal(n.resourceState(), 'transition')
    n.onResource(peerKeeps, '0', 'standby')
    t.same(io.take(), [], 'its announcement of what it keeps needs no answer')
    n.onAskResources(set, 'done')
    await settle()
    t.same(io.take(), [...starts, ask(set, 'done'), resource(holds, 1)])
    t.equal(n.resourceState(), 'transition', 'until the peer says it is stable')
    n.onResource(peerKeeps, '1', undefined)
    t.same(io.take(), [resource(holds, 1)])
    t.equal(n.resourceState(), holds)
  })
}

t.test('standby: no `other` within 10 s cancels it; refusals say why and send nothing', async (t) => {
  const { io, n } = await holdingAll(t, false)
  t.equal(n.requestStandby('all', false), 'no peer is up to take the resources')
  t.equal(n.requestStandby('all', true), undefined)
  t.equal(n.requestStandby('local', true), 'a standby is already in progress')
  t.same(io.take(), [ask('all', 'me')])
  mock.timers.tick(STANDBY_REPLY_MS)
  t.match(io.logged(), /no reply to the standby request within 10 s: standby cancelled/)
  t.equal(n.resourceState(), 'all', 'nothing was given up')
  n.onAskResources('all', 'other')
  await settle()
  t.same(io.take(), [], 'a late `other` is ignored')
  t.match(io.logged(), /ignored standby message 'other' in standby state not/)
  n.onAskResources('all', 'me')
  t.same(io.take(), [ask('all', 'other')])
  t.equal(n.requestStandby('all', true), 'a standby is already in progress')
})

t.test('standby refused while resources are in transition, on either side', async (t) => {
  const { io, n } = negotiation(t)
  n.commUp(true)
  t.equal(n.requestStandby('all', true), 'the other node is in transition; try again')
  n.onAskResources('all', 'me')
  t.same(io.take(), [STARTING], 'a request from the peer while we start is not answered')
  t.match(io.logged(), /standby request \[all\] from the peer ignored: resources are in transition/)
  n.onResource('none', '1', undefined)
  t.equal(n.requestStandby('all', true), 'local resources are in transition; try again', 'our own start still runs')
  await settle()
})

// hb_takeover [set] on the peer, relative to it: the standby nodea asks for, relative to nodea
const MIRROR: [Hold, Hold][] = [
  ['all', 'all'],
  ['local', 'foreign'],
  ['foreign', 'local'],
]

for (const [theirs, ours] of MIRROR) {
  t.test(`hb_takeover ${theirs} from the peer: nodea goes standby ${ours}`, async (t) => {
    const { io, n } = await holdingAll(t, false)
    n.onTakeover(theirs, true)
    t.same(io.take(), [ask(ours, 'me')])
  })
}

t.test('hb_takeover from the peer: we go standby for the mirror set', async (t) => {
  const { io, n } = await holdingAll(t, false)
  n.onTakeover('local', false)
  t.same(io.take(), [])
  t.match(io.logged(), /takeover request from the peer ignored: no peer is up to take the resources/)
  n.onTakeover('local', true)
  t.same(io.take(), [ask('foreign', 'me')], 'its local groups are our foreign ones')
  n.onTakeover('all', true)
  t.same(io.take(), [])
  t.match(io.logged(), /takeover request from the peer ignored: a standby is already in progress/)
})

t.test('peer dead: t=stonith says how it was fenced, then its groups are taken (mach_down)', async (t) => {
  t.test('it had said it holds nothing, stable: fencing unneeded', async (t) => {
    const { io, n } = await stable(t, 'none')
    t.notOk(n.peerNeedsFence())
    n.peerDead()
    await settle()
    t.same(io.take(), [stonith('unneeded'), 'acquire foreign', MACH_DOWN, resource('all', 1)])
    t.notMatch(io.logged(), /STONITH/)
    t.equal(n.resourceState(), 'all')
  })
  t.test('it held its groups, fenced: OK', async (t) => {
    const { io, n } = await stable(t, 'local')
    t.ok(n.peerNeedsFence())
    n.peerDead(true)
    await settle()
    t.same(io.take(), [stonith('OK'), 'acquire foreign', MACH_DOWN, resource('all', 1)])
    t.notMatch(io.logged(), /STONITH/)
  })
  t.test('it held its groups, no STONITH device: n_stnth, with a warning', async (t) => {
    const { io, n } = await stable(t, 'local')
    n.peerDead()
    await settle()
    t.same(io.take(), [stonith('n_stnth'), 'acquire foreign', MACH_DOWN, resource('all', 1)])
    t.match(io.logged(), /No STONITH device configured: shared disks are not protected/)
  })
  t.test('it died before it answered our starting: everything is taken', async (t) => {
    const { io, n } = negotiation(t)
    n.commUp(true)
    n.peerDead()
    await settle()
    t.same(io.take(), [STARTING, stonith('n_stnth'), 'acquire local', 'acquire foreign', MACH_DOWN, resource('all', 1)])
    mock.timers.tick(BOTH_STARTING_MS)
    t.same(io.take(), [])
  })
  t.test('a standby under way ends with the death', async (t) => {
    const { io, n } = await stable(t, 'local')
    n.requestStandby('local', true)
    n.peerDead()
    await settle()
    t.same(io.take(), [ask('local', 'me'), stonith('n_stnth'), 'acquire foreign', MACH_DOWN, resource('all', 1)])
    n.onAskResources('local', 'other')
    t.same(io.take(), [], 'its `other` comes too late')
    t.equal(n.resourceState(), 'all')
  })
})

t.test('peerNeedsFence() and peerServes() follow what the peer last said', async (t) => {
  const { n } = negotiation(t)
  const now = () => [n.peerNeedsFence(), n.peerServes()]
  t.same(now(), [true, false], 'not heard yet: fence it')
  n.commUp(true)
  n.onResource('none', '0', undefined)
  t.same(now(), [true, false], 'holds nothing, but in transition')
  n.onResource('none', '1', undefined)
  t.same(now(), [false, false], 'holds nothing, stable')
  n.onResource('local', '1', undefined)
  t.same(now(), [true, true], 'holds its groups')
  n.onResource('foreign', '0', 'standby')
  t.same(now(), [true, true], 'holds ours')
  n.onShutdone()
  t.same(now(), [false, false], 'shut down cleanly')
  await settle()
})

t.test('partition healed: each gives back only what it took over, then negotiates again', async (t) => {
  t.test('we took its groups over: they are stopped, ours kept', async (t) => {
    const { io, n } = await stable(t, 'local')
    n.peerDead()
    await settle()
    io.take()
    n.partitionHealed()
    t.equal(n.resourceState(), 'transition')
    await settle()
    t.same(io.take(), ['release foreign', STARTING])
    t.match(io.logged(), /partition healed: giving up \[foreign\], taken over when it was declared dead; keeping \[local\]/)
    n.onResource('local', '1', undefined)
    await settle()
    t.same(io.take(), [resource('local', 1)], 'both run their own: nothing more')
    t.equal(n.resourceState(), 'local')
  })
  t.test('in mid-standby: neither node runs our own groups, so we take them', async (t) => {
    const { io, n } = await stable(t, 'local')
    n.requestStandby('local', true)
    n.onAskResources('local', 'other')
    await settle()
    n.peerDead()
    await settle()
    const standby = [ask('local', 'me'), resource('none', 0, 'standby'), 'release local', ask('local', 'done')]
    t.same(io.take(), [...standby, stonith('n_stnth'), 'acquire local', 'acquire foreign', MACH_DOWN, resource('all', 1)], 'dead once we had given up ours')
    n.partitionHealed()
    await settle()
    t.same(io.take(), ['release foreign', 'release local', STARTING])
    n.onResource('local', '1', undefined)
    await settle()
    t.same(io.take(), [resource('none', 1), 'acquire local', resource('local', 1, 'req_our_resources()')])
    t.match(io.logged(), /after the partition neither node runs our own groups: taking them/)
    t.equal(n.resourceState(), 'local')
  })
  t.test('nothing taken over: nothing given up', async (t) => {
    const { io, n } = await stable(t, 'local')
    n.partitionHealed()
    await settle()
    t.same(io.take(), [STARTING])
    t.match(io.logged(), /we took nothing over, so we give nothing up; keeping \[local\]/)
  })
})

t.test('isolated (peer and every ping node gone): every group stopped, none taken, nothing sent', async (t) => {
  const { io, n } = await holdingAll(t, false)
  n.isolated()
  await settle()
  t.same(io.take(), ['release foreign', 'release local'])
  t.match(io.logged(), /cut off: the peer is dead and no ping node answers/)
  t.equal(n.resourceState(), 'none')
  n.partitionHealed()
  await settle()
  t.same(io.take(), [STARTING], 'what was given up is not given up twice')
})

t.test('shutdown: resource none isstable=0 info=shutdown, every line stopped, then shutdone (bcast-sha1)', async (t) => {
  const { io, n } = await stable(t, 'local')
  const done = n.shutdown()
  t.same(io.take(), [resource('none', 0, 'shutdown')])
  await done
  t.same(io.take(), ['release everything', SHUTDONE])
  t.equal(n.resourceState(), 'none')
  await n.shutdown()
  n.onStarting()
  n.onResource('all', '1', undefined)
  n.onAskResources('all', 'me')
  n.onShutdone()
  n.peerDead()
  n.isolated()
  n.partitionHealed()
  await settle()
  t.same(io.take(), [], 'after shutdown nothing is answered, started or stopped')
  t.equal(n.requestStandby('all', true), 'shutting down')
})

t.test('shutdown while both start: the 10 s wait ends with it', async (t) => {
  const { io, n } = negotiation(t)
  n.commUp(true)
  n.onResource('none', '0', undefined)
  await n.shutdown()
  mock.timers.tick(BOTH_STARTING_MS)
  await settle()
  t.same(io.take(), [STARTING, resource('none', 0, 'shutdown'), 'release everything', SHUTDONE])
})

t.test('shutdone from the peer: taken over at once, told as the end of a standby (bcast-sha1)', async (t) => {
  t.test('holding our own', async (t) => {
    const { io, n } = await stable(t, 'local')
    n.onResource('none', '0', 'shutdown')
    t.same(io.take(), [])
    n.onShutdone()
    await settle()
    t.same(io.take(), ['acquire foreign', ask('foreign', 'done'), resource('all', 1)])
    t.equal(n.resourceState(), 'all')
    n.peerDead()
    await settle()
    t.same(io.take(), [stonith('unneeded')], 'its death after deadtime: no fencing, nothing more to take')
  })
  t.test('holding nothing', async (t) => {
    const { io, n } = await stable(t, 'all')
    n.onShutdone()
    await settle()
    t.same(io.take(), ['acquire local', 'acquire foreign', ask('all', 'done'), resource('all', 1)])
  })
  t.test('holding all', async (t) => {
    const { io, n } = await holdingAll(t, false)
    n.onShutdone()
    await settle()
    t.same(io.take(), [])
  })
})

t.test('auto_failback on: the holder of the peer\'s groups gives them back once it is stable', async (t) => {
  const { io, n } = negotiation(t, true)
  n.commUp(false)
  await settle()
  io.take()
  n.onStarting()
  n.onResource('none', '1', undefined)
  t.same(io.take(), [resource('all', 1), resource('all', 1), ask('foreign', 'me')])
  n.onAskResources('foreign', 'other')
  await settle()
  t.same(io.take(), [resource('local', 0, 'standby'), 'release foreign', ask('foreign', 'done')])
  n.onAskResources('foreign', 'done')
  n.onResource('local', '1', undefined)
  t.same(io.take(), [resource('local', 1), resource('local', 1)])
  t.equal(n.resourceState(), 'local')
})

t.test('auto_failback on, after a takeover: given back when the peer is back', async (t) => {
  const { io, n } = await stable(t, 'local')
  n.peerDead(true)
  await settle()
  io.take()
  n.onStarting()
  n.onResource('none', '1', undefined)
  t.same(io.take(), [resource('all', 1), resource('all', 1), ask('foreign', 'me')])
})

t.test('auto_failback on waits until our own start has settled', async (t) => {
  const { io, n } = negotiation(t, true)
  let open!: () => void
  io.gate = new Promise((resolve) => (open = resolve))
  n.commUp(false)
  n.onStarting()
  n.onResource('none', '1', undefined)
  await settle()
  t.same(io.take(), [STARTING, resource('all', 1), resource('all', 1), 'acquire local'], 'the peer is stable, our start still runs')
  open()
  await settle()
  t.same(io.take(), ['acquire foreign', resource('all', 1, 'req_our_resources()')])
  mock.timers.tick(RETRY_MS)
  t.same(io.take(), [ask('foreign', 'me')], 'asked at the next retry')
})

t.test('auto_failback off: the peer\'s groups stay', async (t) => {
  const { io, n } = negotiation(t, false)
  n.commUp(false)
  await settle()
  io.take()
  n.onStarting()
  n.onResource('none', '1', undefined)
  mock.timers.tick(RETRY_MS)
  await settle()
  t.same(io.take(), [resource('all', 1), resource('all', 1)])
  t.equal(n.resourceState(), 'all')
})

t.test('messages out of place change nothing', async (t) => {
  const { io, n } = await stable(t, 'none')
  n.onResource(undefined, '1', undefined)
  t.match(io.logged(), /resource message without rsc_hold: ignored/)
  n.onAskResources('all', 'done')
  t.match(io.logged(), /ignored standby message 'done' in standby state not/)
  await settle()
  t.same(io.take(), [])
  t.equal(n.resourceState(), 'local')
})

t.test('the messages these tests expect from Heartbeat are in its captures, field for field', async (t) => {
  const own = new Set(CAPTURES.flatMap(({ name }) => capture(name).lines.map((l) => / len=\d+ (.*?) src=/.exec(l)?.[1])))
  const expected = [
    STARTING,
    resource('none', 0),
    resource('local', 1),
    resource('local', 1, 'req_our_resources()'),
    resource('all', 1),
    resource('all', 1, 'req_our_resources()'),
    resource('none', 0, 'shutdown'),
    SHUTDONE,
    ask('foreign', 'done'),
    MACH_DOWN,
    stonith('unneeded'),
  ]
  t.same(expected.filter((m) => !own.has(m)), [])
})
