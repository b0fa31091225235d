/**
 * The engine's warm Node (ha.d/warm-node.ts), not a command: started ahead with the engine's script
 * environment and output files, it blocks on stdin until the engine writes the argv of one of halo's
 * agents, then becomes that agent (its argv, its module), which so starts without Node's own start-up.
 * As it exits it tells its exit code on fd 3. An empty stdin (the engine gone) ends it.
 */
import { readFileSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
// the built-in modules halo's agents load (lib/exec.ts, lib/tcp.ts, lib/log.ts…), loaded while nothing
// waits: 8 ms of every agent run otherwise, for 1.2 MB
for (const m of ['node:child_process', 'node:crypto', 'node:dgram', 'node:net', 'node:os', 'node:perf_hooks', 'node:timers/promises']) require(m)
const job = readFileSync(0, 'utf8')
if (job !== '') {
  // process.exit calls reallyExit once every 'exit' listener has run: the agent's work and output are
  // done, and the engine need not wait for the kernel to tear this process down
  const proc = process as NodeJS.Process & { reallyExit(code: number): never }
  const reallyExit = proc.reallyExit.bind(proc)
  proc.reallyExit = (code) => {
    try {
      writeSync(3, `${code}\n`)
    } catch {
      // the engine is gone: nobody to tell
    }
    return reallyExit(code)
  }
  const argv = JSON.parse(job) as string[]
  process.argv = [process.execPath, ...argv]
  require(argv[0])
}
