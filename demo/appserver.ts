/**
 * The demo's AggreGate-like application server, run by `halo demo-appserver` from the init script the
 * demo installs on the shared disk (/srv/ha/aggregate/bin/linkserv), which is what the appserver agent
 * starts: `linkserv start` returns once the server runs and its pid file is written; `linkserv stop`
 * TERMs it. The server listens on its agent port (6460) and web port (8443); SIGUSR2 closes the agent
 * port while the process lives on: the service failure that mon must notice.
 */
import { spawn } from 'node:child_process'
import { writeFileAtomic } from '../lib/atomic.ts'
import { hostname } from 'node:os'
import { createServer, type Server } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { pidFileProcess } from '../lib/process.ts'
import { UsageError } from '../lib/errors.ts'

export const AGENT_PORT = 6460
export const WEB_PORT = 8443
export const PID_FILE = '/run/linkserv.pid'

// a pid is acted on only while it is the server this script started (pids are reused)
const running = () => pidFileProcess(PID_FILE, { uid: 0, argv: (a) => a.includes('demo-appserver') && a.at(-1) === 'run' }).pid

export async function appserver(argv: readonly string[]): Promise<number> {
  const [action] = argv
  if (action === 'start') {
    if (running() !== undefined) return 0
    spawn(process.execPath, [process.argv[1], 'demo-appserver', 'run'], { detached: true, stdio: 'ignore' }).unref()
    for (let i = 0; i < 500 && running() === undefined; i++) await sleep(10)
    return running() === undefined ? 1 : 0
  }
  if (action === 'stop') {
    const pid = running()
    if (pid !== undefined) process.kill(pid, 'SIGTERM')
    return 0
  }
  if (action === 'run') return serve()
  throw new UsageError('demo-appserver start|stop|run')
}

async function serve(): Promise<never> {
  const listen = (port: number, answer: string) =>
    new Promise<Server>((resolve) => {
      // a checker that connects and hangs up at once (mon's tcp.monitor) resets the socket: not our failure
      const srv = createServer((s) => s.on('error', () => {}).end(answer)).listen(port, '0.0.0.0', () => resolve(srv))
    })
  const agents = await listen(AGENT_PORT, `AggreGate-like server on ${hostname()}: agent gateway\n`)
  await listen(WEB_PORT, `HTTP/1.0 200 OK\r\n\r\nAggreGate-like server on ${hostname()}\n`)
  writeFileAtomic(PID_FILE, `${process.pid}\n`)
  process.on('SIGUSR2', () => agents.close())
  process.on('SIGTERM', () => process.exit(0))
  return new Promise<never>(() => {})
}
