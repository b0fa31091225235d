// appserver: halo's agent beside resource-agents' generic daemon agent (anything) running the same fake
// application server (test/fixtures/appserver.ts) on three loopback ports, interleaved run by run, with the
// server's own times in the same runs: launch → every port accepts, TERM → exit. anything's start does not
// wait for the ports (it returns once the process exists), and its monitor checks only the process.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundle } from '../../build.ts'
import { spawnDetached } from '../../lib/exec.ts'
import { waitForExit } from '../../lib/process.ts'
import { connect } from '../../lib/tcp.ts'
import { median, printTable, timeOnce, type Row } from '../lib/measure.ts'

const agents = {
  halo: fileURLToPath(new URL('../../dist/agents/appserver', import.meta.url)),
  theirs: '/usr/lib/ocf/resource.d/heartbeat/anything',
}
const steps = ['start', 'monitor (depth 0)', 'stop'] as const

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((r) => { const s = createServer().listen(0, '127.0.0.1', () => r(s)) })))
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** the server alone: ms until every port accepts, and from TERM until it exited */
async function serverItself(argv: string[], ports: number[]): Promise<{ ready: number; exit: number }> {
  const t0 = performance.now()
  const pid = spawnDetached(argv)
  for (const port of ports) {
    while ((await connect({ host: '127.0.0.1', port }, 1000)).status !== 'ok') {
      if (performance.now() - t0 > 30_000) throw new Error(`the fixture did not open ${port} within 30 s`)
      await new Promise((r) => setTimeout(r, 1))
    }
  }
  const ready = performance.now() - t0
  const t1 = performance.now()
  process.kill(pid, 'SIGTERM')
  if (!(await waitForExit([pid], performance.now() + 30_000, 1))) throw new Error('the fixture did not exit on TERM')
  return { ready, exit: performance.now() - t1 }
}

export async function bench(runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'halo-bench-appserver-'))
  const times = new Map<string, number[]>()
  const add = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms])
  try {
    const fixture = join(dir, 'appserver')
    await bundle(fileURLToPath(new URL('../../test/fixtures/appserver.ts', import.meta.url)), fixture)
    const ports = await freePorts(3)
    const args = `${fixture} --ports ${ports.join(',')}`
    const pid = join(dir, 'server.pid')
    const params = {
      halo: { binary: process.execPath, arguments: args, pid, ports: ports.join(' '), directory: dir, log: join(dir, 'halo.log') },
      theirs: { binfile: process.execPath, cmdline_options: args, pidfile: pid, workdir: dir, logfile: join(dir, 'theirs.log') },
    }
    for (let i = 0; i < runs; i++) {
      const own = await serverItself([process.execPath, ...args.split(' ')], ports)
      add('server ready', own.ready)
      add('server exit', own.exit)
      add('node -e 0', await timeOnce(['node', '-e', '0'], { PATH: process.env.PATH }))
      for (const [who, agent] of Object.entries(agents) as [keyof typeof agents, string][]) {
        const env = {
          PATH: process.env.PATH,
          OCF_ROOT: '/usr/lib/ocf',
          OCF_RESOURCE_INSTANCE: 'benchapp',
          ...Object.fromEntries(Object.entries(params[who]).map(([k, v]) => [`OCF_RESKEY_${k}`, v])),
        }
        for (const [step, action] of [['start', 'start'], ['monitor (depth 0)', 'monitor'], ['stop', 'stop']]) add(`${who} ${step}`, await timeOnce([agent, action], env))
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const rows: Row[] = [
    { what: 'node -e 0 (same runs)', halo: median(times.get('node -e 0')!) },
    { what: 'server: launch → 3 ports', halo: median(times.get('server ready')!) },
    { what: 'server: TERM → exited', halo: median(times.get('server exit')!) },
    ...steps.map((step) => ({ what: step, halo: median(times.get(`halo ${step}`)!), theirs: median(times.get(`theirs ${step}`)!), against: 'resource-agents anything' })),
  ]
  printTable('appserver: a node server on 3 loopback ports', rows, runs)
}
