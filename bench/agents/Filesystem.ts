// Filesystem: halo's agent beside resource-agents' on the same ext4 loop device and mount point, the two
// interleaved run by run so both see the same machine. "stop, busy" has one process (exits on TERM) with
// its working directory in the mount.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnDetached } from '../../lib/exec.ts'
import { isAlive, waitForExit } from '../../lib/process.ts'
import { createLoopExt4, removeLoop } from '../../demo/loop.ts'
import { median, printTable, timeOnce, type Row } from '../lib/measure.ts'

const agents = {
  halo: fileURLToPath(new URL('../../dist/agents/Filesystem', import.meta.url)),
  theirs: '/usr/lib/ocf/resource.d/heartbeat/Filesystem',
}
const steps = ['start', 'monitor (depth 0)', 'monitor (depth 10)', 'monitor (depth 20)', 'stop', 'start again', 'stop, busy'] as const

export async function bench(runs: number): Promise<void> {
  const disk = await createLoopExt4()
  const dir = join(disk.dir, 'm')
  const times = new Map<string, number[]>()
  const holders: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      for (const [who, agent] of Object.entries(agents)) {
        const env = (level = '0') => ({
          PATH: process.env.PATH,
          OCF_ROOT: '/usr/lib/ocf',
          OCF_RESOURCE_INSTANCE: 'benchfs',
          OCF_RESKEY_device: disk.device,
          OCF_RESKEY_directory: dir,
          OCF_RESKEY_fstype: 'ext4',
          OCF_CHECK_LEVEL: level,
        })
        const time = async (step: (typeof steps)[number], action: string, level?: string) => {
          const key = `${who} ${step}`
          times.set(key, [...(times.get(key) ?? []), await timeOnce([agent, action], env(level))])
        }
        // in the agents' environment: an inherited NODE_EXTRA_CA_CERTS alone adds 30+ ms to node's start
        if (who === 'halo') times.set('node -e 0', [...(times.get('node -e 0') ?? []), await timeOnce(['node', '-e', '0'], { PATH: process.env.PATH })])
        await time('start', 'start')
        await time('monitor (depth 0)', 'monitor', '0')
        await time('monitor (depth 10)', 'monitor', '10')
        await time('monitor (depth 20)', 'monitor', '20')
        await time('stop', 'stop')
        await time('start again', 'start')
        const holder = spawnDetached(['sleep', '600'], { cwd: dir })
        holders.push(holder)
        await time('stop, busy', 'stop')
        if (!(await waitForExit([holder], performance.now() + 5000))) throw new Error(`${who} stop left the holder ${holder} running`)
      }
    }
  } finally {
    for (const pid of holders.filter(isAlive)) process.kill(pid, 'SIGKILL')
    await removeLoop(disk)
  }
  const rows: Row[] = [{ what: 'node -e 0 (same runs)', halo: median(times.get('node -e 0')!) }, ...steps.map((step) => ({
    what: step,
    halo: median(times.get(`halo ${step}`)!),
    theirs: median(times.get(`theirs ${step}`)!),
    against: 'resource-agents Filesystem',
  }))]
  printTable(`Filesystem on an ext4 loop device`, rows, runs)
}
