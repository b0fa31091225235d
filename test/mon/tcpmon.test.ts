import { existsSync } from 'node:fs'
import { run } from '../../lib/exec.ts'
import { createServer, type Server } from 'node:net'
import t from 'tap'
import { tcpMonitor } from '../../mon/tcpmon.ts'

/** A port that was just free: listened on, then closed. */
async function closedPort(): Promise<number> {
  const s = await listening()
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

function listening(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.destroy())
    s.listen(0, '127.0.0.1', () => resolve(s))
  })
}

t.test('a closed port: mon\'s exact output and exit 1', async (t) => {
  const port = await closedPort()
  const r = await tcpMonitor(['-p', String(port), '-t', '2', '127.0.0.1'])
  t.same(r, { exitval: 1, output: '127.0.0.1\n\n127.0.0.1 could not connect: Connection refused\n', timedOut: false })
})

t.test('a listening port: exit 0, no output', async (t) => {
  const s = await listening()
  t.teardown(() => s.close())
  const r = await tcpMonitor(['-p', String((s.address() as { port: number }).port), '127.0.0.1'])
  t.same(r, { exitval: 0, output: '', timedOut: false })
})

t.test('several hosts: summary sorted, detail in argv order, a bad name as inet_aton', async (t) => {
  const port = await closedPort()
  const r = await tcpMonitor([`-p${port}`, '127.0.0.2', 'no.such.host.invalid', '127.0.0.1'])
  t.equal(r.exitval, 1)
  t.equal(
    r.output,
    '127.0.0.1 127.0.0.2 no.such.host.invalid\n\n' +
      '127.0.0.2 could not connect: Connection refused\nno.such.host.invalid could not inet_aton\n127.0.0.1 could not connect: Connection refused\n',
  )
})

const realScript = '/usr/lib/mon/mon.d/tcp.monitor'
t.test('the same bytes and exit code as Debian\'s tcp.monitor', { skip: !existsSync(realScript) && 'mon is not installed' }, async (t) => {
  const port = await closedPort()
  const args = ['-p', String(port), '-t', '2', '127.0.0.2', 'no.such.host.invalid', '127.0.0.1']
  const real = await run([realScript, ...args])
  const ours = await tcpMonitor(args)
  t.equal(ours.output, real.stdout)
  t.equal(ours.exitval, real.code)
})
