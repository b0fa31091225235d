// The engine's Nodes started ahead (ha.d/warm-node.ts) run halo's built agents exactly as a new process
// would (output, exit code, argv), in a process started before the run was asked; anything else, or a run
// with another environment, is spawned as ever; a dead waiting Node is passed over; close() ends them.
// Needs `npm run build` first.
import t, { type Test } from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WarmNode } from '../../ha.d/warm-node.ts'
import { run, type RunResult } from '../../lib/exec.ts'
import { commandLine, processStat } from '../../lib/process.ts'
import { until } from '../../lib/wait.ts'

const bin = fileURLToPath(new URL('../../dist/bin', import.meta.url))
const agent = fileURLToPath(new URL('../../dist/agents/appserver', import.meta.url))
if (!existsSync(`${bin}/warm-node`)) throw new Error('dist/bin/warm-node is missing: run npm run build first')

/** this process's children that are waiting Nodes */
const waiting = () =>
  readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8')
    .split(' ')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => commandLine(pid)?.some((a) => a.endsWith('/warm-node')))

function warm(t: Test) {
  const env = { PATH: process.env.PATH, OCF_RESKEY_init_script: '/bin/true', OCF_RESKEY_pid: '/run/halo-warm-test.pid' }
  const w = new WarmNode(env, bin)
  t.teardown(() => w.close())
  /** runs argv, saying whether it ran in one of the Nodes that were waiting when it was asked */
  const timed = async (argv: string[], runEnv = env): Promise<RunResult & { ahead: boolean }> => {
    const before = waiting()
    let ran: number | undefined
    const r = await w.run(argv, { env: runEnv, untilExit: true, onSpawn: (pid) => (ran = pid) })
    return { ...r, ahead: ran !== undefined && before.includes(ran) }
  }
  return { env, w, timed }
}

t.test("an agent's first run is a new process; the next ones run in the Nodes started after it, with the same result", async (t) => {
  const { env, timed } = warm(t)
  const first = await timed([agent, 'meta-data'])
  t.notOk(first.ahead, 'none waits before the first agent run')
  await until('two Nodes to wait', () => waiting().length === 2)
  const second = await timed([agent, 'meta-data'])
  t.ok(second.ahead, 'the second ran in a Node started before it was asked')
  t.same([second.code, second.stdout, second.stderr], [first.code, first.stdout, first.stderr], 'the same output and exit code')
  t.match(second.stdout, /<resource-agent name="appserver"/)
  // the exit code a Node tells as it exits (ha.d/bin/warm-node.ts), not 0 here: its pid file is missing
  const coldMonitor = await run([agent, 'monitor'], { env, untilExit: true })
  await until('two Nodes to wait', () => waiting().length === 2)
  const monitor = await timed([agent, 'monitor'])
  t.same([monitor.ahead, monitor.code, monitor.stdout, monitor.stderr], [true, 7, coldMonitor.stdout, coldMonitor.stderr], 'not running (7), as a new process says')
  const cold = await run([agent, 'start'], { env: { ...env, OCF_RESKEY_init_script: 'relative' }, untilExit: true })
  await until('two Nodes to wait', () => waiting().length === 2)
  const bad = await timed([agent, 'start'], { ...env, OCF_RESKEY_init_script: 'relative' })
  t.notOk(bad.ahead, 'another environment: a new process')
  t.same([bad.code, bad.stderr], [cold.code, cold.stderr], 'its failure as a new process has it')
  t.match(bad.stderr, /relative is not installed/, 'OCF_ERR_INSTALLED, said')
  t.equal(waiting().length, 2, 'and no waiting Node was used')
})

t.test('a program outside halo\'s agents runs as ever; a dead waiting Node is passed over; close() ends them', async (t) => {
  const { w, timed } = warm(t)
  await timed([agent, 'meta-data'])
  await until('two Nodes to wait', () => waiting().length === 2)
  const echo = await timed(['/bin/echo', 'hello'])
  t.same([echo.ahead, echo.stdout], [false, 'hello\n'], 'echo is spawned')
  t.equal(waiting().length, 2, 'no waiting Node was used')
  const killed = waiting()[0]
  process.kill(killed, 'SIGKILL')
  // its cmdline goes first, while it still exits: it is dead once a zombie, or reaped
  await until('the killed Node to be gone', () => [undefined, 'Z'].includes(processStat(killed)?.state))
  const next = await timed([agent, 'meta-data'])
  t.same([next.ahead, next.code], [true, 0], 'the run went to the live one')
  await until('two Nodes to wait', () => waiting().length === 2)
  w.close()
  await until('the waiting Nodes to end', () => waiting().length === 0).catch(() => undefined)
  t.same(waiting(), [], 'none is left')
})
