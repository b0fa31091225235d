// mysql: halo's agent beside resource-agents' on the same throwaway MariaDB datadir, interleaved run by
// run, with mariadbd's own times measured in the same runs: launch → its socket accepts, TERM → exit.
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { spawnDetached } from '../../lib/exec.ts'
import { readPidFile, waitForExit } from '../../lib/process.ts'
import { connect } from '../../lib/tcp.ts'
import { account } from '../../lib/users.ts'
import { createMariadb, removeMariadb, type MariaDB } from '../../demo/mariadb.ts'
import { median, printTable, timeOnce, type Row } from '../lib/measure.ts'

const agents = {
  halo: fileURLToPath(new URL('../../dist/agents/mysql', import.meta.url)),
  theirs: '/usr/lib/ocf/resource.d/heartbeat/mysql',
}
const steps = ['start', 'monitor (depth 0)', 'monitor (depth 10)', 'stop'] as const

/**
 * mariadbd alone, as the agents start it: ms until it greets a client on its socket (a connect alone can
 * succeed a few ms earlier, before the server handles signals or clients), and from TERM until it exited.
 */
async function serverItself(m: MariaDB): Promise<{ ready: number; exit: number }> {
  const mysql = await account('mysql')
  const t0 = performance.now()
  const argv = ['/usr/sbin/mariadbd', `--defaults-file=${m.config}`, `--pid-file=${m.pid}`, `--socket=${m.socket}`, `--datadir=${m.datadir}`, `--log-error=${m.log}`]
  const pid = spawnDetached(argv, { uid: mysql.uid, gid: mysql.gid })
  const greets = (s: Socket) => new Promise<void>((resolve) => s.once('data', () => resolve()))
  while ((await connect({ path: m.socket }, 1000, greets)).status !== 'ok') {
    if (performance.now() - t0 > 60_000) throw new Error('mariadbd did not accept connections within 60 s')
    await new Promise((r) => setTimeout(r, 1))
  }
  const ready = performance.now() - t0
  const t1 = performance.now()
  process.kill(pid, 'SIGTERM')
  if (!(await waitForExit([pid], performance.now() + 60_000, 1))) throw new Error('mariadbd did not exit within 60 s of TERM')
  return { ready, exit: performance.now() - t1 }
}

export async function bench(runs: number): Promise<void> {
  const m = await createMariadb()
  const times = new Map<string, number[]>()
  const add = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms])
  try {
    for (let i = 0; i < runs; i++) {
      const own = await serverItself(m)
      add('mariadbd ready', own.ready)
      add('mariadbd exit', own.exit)
      add('node -e 0', await timeOnce(['node', '-e', '0'], { PATH: process.env.PATH }))
      for (const [who, agent] of Object.entries(agents)) {
        const env = (level = '0', params: Record<string, string> = m.params) => ({
          PATH: process.env.PATH,
          OCF_ROOT: '/usr/lib/ocf',
          OCF_RESOURCE_INSTANCE: 'benchdb',
          OCF_CHECK_LEVEL: level,
          OCF_RESKEY_CRM_meta_timeout: '120000',
          ...Object.fromEntries(Object.entries(params).map(([k, v]) => [`OCF_RESKEY_${k}`, v])),
        })
        const time = async (step: string, action: string, level?: string, params?: Record<string, string>) => add(`${who} ${step}`, await timeOnce([agent, action], env(level, params)))
        await time('start', 'start')
        await time('monitor (depth 0)', 'monitor', '0')
        await time('monitor (depth 10)', 'monitor', '10')
        if (who === 'halo') await time('monitor, paths from my.cnf', 'monitor', '0', { config: m.config })
        await time('stop', 'stop')
        if (readPidFile(m.pid) !== undefined) throw new Error(`${who} stop left ${m.pid}`)
      }
    }
  } finally {
    await removeMariadb(m)
  }
  const rows: Row[] = [
    { what: 'node -e 0 (same runs)', halo: median(times.get('node -e 0')!) },
    { what: 'mariadbd: launch → greets', halo: median(times.get('mariadbd ready')!) },
    { what: 'mariadbd: TERM → exited', halo: median(times.get('mariadbd exit')!) },
    ...steps.map((step) => ({ what: step, halo: median(times.get(`halo ${step}`)!), theirs: median(times.get(`theirs ${step}`)!), against: 'resource-agents mysql' })),
    { what: 'monitor, paths from my.cnf', halo: median(times.get('halo monitor, paths from my.cnf')!) },
  ]
  printTable('mysql on a MariaDB 10.11 datadir (socket only)', rows, runs)
}
