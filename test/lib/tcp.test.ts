// lib/tcp against real sockets on loopback: a listener, a closed port, a hung server (stopped, its accept
// queue full), a unix socket; and waiting for ports that open later.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { connect, describeResult, waitForPorts, type ConnectResult } from '../../lib/tcp.ts'

const host = '127.0.0.1'

/** a server that says `greeting` to each client and hangs up */
async function listen(t: Test, where: { port: number; host: string } | { path: string } = { port: 0, host }, greeting = ''): Promise<Server> {
  // a client that hangs up before the greeting is written is no failure of the server
  const server = createServer((s) => s.on('error', () => {}).end(greeting))
  server.listen(where)
  await once(server, 'listening')
  t.teardown(() => new Promise((r) => server.close(r)))
  return server
}
const portOf = (s: Server) => (s.address() as { port: number }).port

/** a port nothing listens on: the kernel's pick, released */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, host)
  await once(s, 'listening')
  const port = portOf(s)
  await new Promise((r) => s.close(r))
  return port
}

t.test('ok, refused, with the words and the system error', async (t) => {
  const server = await listen(t)
  const ok = await connect({ host, port: portOf(server) }, 1000)
  t.equal(ok.status, 'ok')
  t.equal(describeResult(ok), `127.0.0.1:${portOf(server)} accepts`)
  const port = await closedPort()
  const refused = await connect({ host, port }, 1000)
  t.equal(refused.status, 'refused')
  t.equal(refused.error, `connect ECONNREFUSED 127.0.0.1:${port}`)
  t.equal(describeResult(refused), `127.0.0.1:${port} refused (connect ECONNREFUSED 127.0.0.1:${port})`)
  const v6 = await connect({ host: '::1', port }, 1000)
  t.match(describeResult(v6), `[::1]:${port}`)
})

t.test('a hung server (stopped, accept queue full) times out', async (t) => {
  // backlog 1: the kernel completes two handshakes for it, then drops further SYNs
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen({ port: 0, host: '${host}', backlog: 1 }, function () { console.log(this.address().port) })`], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => child.kill('SIGKILL'))
  const [line] = (await once(child.stdout!, 'data')) as [Buffer]
  const port = Number(line.toString())
  child.kill('SIGSTOP')
  const results: ConnectResult[] = []
  for (let i = 0; i < 6 && !results.some((r) => r.status === 'timeout'); i++) results.push(await connect({ host, port }, 300))
  const timedOut = results.find((r) => r.status === 'timeout')
  t.ok(timedOut, `one of ${results.length} connects timed out: ${results.map((r) => r.status).join(' ')}`)
  t.equal(timedOut?.error, `no answer from 127.0.0.1:${port} within 300 ms`)
  t.ok(timedOut!.ms >= 300 && timedOut!.ms < 2000, 'after the timeout, not before, not much later')
})

t.test('unix sockets: ok, and a missing one counts as refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-tcp-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 's.sock')
  t.equal((await connect({ path }, 1000)).status, 'refused')
  await listen(t, { path }, 'halo\n')
  t.equal((await connect({ path }, 1000)).status, 'ok')
  let greeting = ''
  const used = await connect({ path }, 1000, async (s) => {
    greeting = String(((await once(s, 'data')) as [Buffer])[0])
  })
  t.equal(greeting, 'halo\n', "use() gets the connected socket: it reads the server's greeting")
  t.equal(used.status, 'ok', 'and the result is ok once use() has returned')
})

t.test('waitForPorts: returns once every port accepts', async (t) => {
  const ports = [await closedPort(), await closedPort()]
  let rounds = 0
  const r = await waitForPorts(
    ports.map((port) => ({ host, port })),
    {
      deadline: performance.now() + 10_000,
      // the ports open after the first round has found them refusing
      giveUp: () => {
        if (++rounds === 2) for (const port of ports) void listen(t, { port, host })
        return undefined
      },
    },
  )
  t.same(r, { ok: true, failing: [] })
  t.ok(rounds >= 2, 'refused at first, tried again')
})

t.test('waitForPorts: the deadline, and giving up', async (t) => {
  const port = await closedPort()
  const t0 = performance.now()
  const late = await waitForPorts([{ host, port }], { deadline: performance.now() + 200 })
  const took = performance.now() - t0
  t.equal(late.ok, false)
  t.equal(late.failing[0].status, 'refused')
  t.ok(took >= 200 && took < 1500, `bounded by the deadline (${took.toFixed(0)} ms)`)
  const dead = await waitForPorts([{ host, port }], { deadline: performance.now() + 10_000, giveUp: () => 'the server exited' })
  t.equal(dead.gaveUp, 'the server exited')
  t.equal(dead.ok, false)
})
