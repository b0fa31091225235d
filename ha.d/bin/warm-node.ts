/**
 * The engine's warm Node (ha.d/warm-node.ts), not a command: started ahead with the engine's script
 * environment and output files, it blocks on stdin until the engine writes the argv of one of halo's
 * agents, then becomes that agent (its argv, its module), which so starts without Node's own start-up.
 * An empty stdin (the engine gone) ends it.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const job = readFileSync(0, 'utf8')
if (job !== '') {
  const argv = JSON.parse(job) as string[]
  process.argv = [process.execPath, ...argv]
  createRequire(import.meta.url)(argv[0])
}
