/** What every mixed-cluster test asserts: the real Heartbeat node's log shows nothing halo's packets could have caused. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { HaloNode } from '../harness/cluster.ts'
import { logTrouble } from '../harness/heartbeat.ts'

/** Fails the test for every line of a Heartbeat node's logs that betrays a bad peer (see logTrouble). */
export function cleanLogs(t: Test, nodes: readonly HaloNode[]): void {
  for (const node of nodes.filter((n) => n.kind === 'heartbeat')) {
    const files = ['ha-log', 'ha-debug'].map((f) => join(node.vm.dir, 'var/lib/heartbeat', f)).filter(existsSync)
    const trouble = [...new Set(files.flatMap((f) => logTrouble(readFileSync(f, 'utf8'))))]
    t.same(trouble, [], `${node.name}'s Heartbeat log has no authentication failures, replays, late heartbeats or protocol errors`)
  }
}
