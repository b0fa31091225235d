// Heartbeat media between two network namespaces joined by two links (hb0, hb1).
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runOk } from '../../lib/exec.ts'
import { inNetns, netns, veth } from '../harness/netns.ts'
import type { Medium } from '../../ha.d/config/hacf-media.ts'

const probe = fileURLToPath(new URL('../fixtures/media-probe.ts', import.meta.url))

async function twoNodes(t: Test) {
  const a = await netns(t)
  const b = await netns(t)
  await veth(a, b, 'hb0')
  await veth(a, b, 'hb1')
  for (const [ns, host] of [[a, 1], [b, 2]] as const) {
    await runOk(['ip', '-n', ns, 'addr', 'add', `10.251.0.${host}/24`, 'brd', '+', 'dev', 'hb0'])
    await runOk(['ip', '-n', ns, 'addr', 'add', `10.252.0.${host}/24`, 'brd', '+', 'dev', 'hb1'])
  }
  return { a, b }
}

interface Probe {
  send(line: string): void
  /** the next arrival whose data is `data`, within 5 s */
  next(data: string): Promise<{ from: string; link: string }>
  arrivals: { from: string; link: string; data: string }[]
}

async function start(t: Test, ns: string, media: Medium[]): Promise<Probe> {
  const [cmd, ...args] = inNetns(ns, ['node', '--import=tsx', probe, JSON.stringify(media)])
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => child.kill())
  const arrivals: Probe['arrivals'] = []
  const waiters: (() => void)[] = []
  const lines = createInterface({ input: child.stdout! })
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`media probe exited ${c}`)))
    lines.on('line', (l) => {
      if (l === 'ready') return resolve()
      arrivals.push(JSON.parse(l))
      for (const w of waiters.splice(0)) w()
    })
  })
  return {
    arrivals,
    send: (line) => child.stdin!.write(`${line}\n`),
    next(data) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${data}" within 5 s in ${ns}`)), 5000)
        const look = () => {
          const hit = arrivals.find((x) => x.data === data)
          if (!hit) return void waiters.push(look)
          clearTimeout(timer)
          arrivals.splice(arrivals.indexOf(hit), 1)
          resolve(hit)
        }
        look()
      })
    },
  }
}

const arrivalsOf = async (p: Probe, data: string, n: number) => {
  const got = []
  for (let i = 0; i < n; i++) got.push(await p.next(data))
  return got.map((x) => `${x.link} ${x.from}`).sort()
}

t.test('bcast on two links: each message arrives once per link, attributed to it', async (t) => {
  const { a, b } = await twoNodes(t)
  const media: Medium[] = [
    { kind: 'bcast', iface: 'hb0', port: 694 },
    { kind: 'bcast', iface: 'hb1', port: 694 },
  ]
  const pa = await start(t, a, media)
  const pb = await start(t, b, media)
  pa.send('hello from a')
  t.same(await arrivalsOf(pb, 'hello from a', 2), ['hb0 10.251.0.1', 'hb1 10.252.0.1'])
  // the first path fails: the second still carries the heartbeat
  await runOk(['ip', '-n', a, 'link', 'set', 'hb0', 'down'])
  pa.send('after hb0 died')
  t.same(await arrivalsOf(pb, 'after hb0 died', 1), ['hb1 10.252.0.1'])
  pb.send('reply')
  t.same(await arrivalsOf(pa, 'reply', 1), ['hb1 10.252.0.2'])
})

t.test('ucast to the peer; a line naming this node itself sends nothing', async (t) => {
  const { a, b } = await twoNodes(t)
  // the same ha.cf on both nodes names both addresses
  const media: Medium[] = [
    { kind: 'ucast', iface: 'hb0', peer: '10.251.0.1', port: 694 },
    { kind: 'ucast', iface: 'hb0', peer: '10.251.0.2', port: 694 },
  ]
  const pa = await start(t, a, media)
  const pb = await start(t, b, media)
  pa.send('u1')
  t.same(await arrivalsOf(pb, 'u1', 1), ['hb0 10.251.0.1'])
  pb.send('u2')
  t.same(await arrivalsOf(pa, 'u2', 1), ['hb0 10.251.0.2'])
  t.equal(pa.arrivals.filter((x) => x.data === 'u1').length, 0, 'nothing sent to itself')
})

t.test('mcast on an interface, with udpport of its own', async (t) => {
  const { a, b } = await twoNodes(t)
  const media: Medium[] = [{ kind: 'mcast', iface: 'hb1', group: '239.0.0.43', port: 1694, ttl: 1, loop: false }]
  const pa = await start(t, a, media)
  const pb = await start(t, b, media)
  pa.send('m1')
  t.same(await arrivalsOf(pb, 'm1', 1), ['hb1 10.252.0.1'])
})

t.test('a medium on a missing interface is a clear error', async (t) => {
  const { a } = await twoNodes(t)
  const r = await import('../../lib/exec.ts').then(({ run }) => run(inNetns(a, ['node', '--import=tsx', probe, JSON.stringify([{ kind: 'bcast', iface: 'eth9', port: 694 }])]), { timeout: 20_000 }))
  t.not(r.code, 0)
  t.match(r.stderr, /heartbeat medium on eth9: the interface does not exist or has no IPv4 address/)
})
