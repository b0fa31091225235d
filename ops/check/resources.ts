/**
 * Every haresources resource as the engine will run it: its script found where the engine looks
 * (resource.d, then init.d), executable, and, for halo's agents, its arguments through the agent's own
 * validate-all in the v1 form (`IPaddr 10.0.0.5/24/eth1 validate-all`): the agent maps them onto its
 * parameters exactly as at start. Another program (an init script) is not run: it may not know the action.
 */
import { constants, existsSync, realpathSync } from 'node:fs'
import { join, sep } from 'node:path'
import { readHaresources, scriptCandidates } from '../../ha.d/config/haresources.ts'
import type { Settings } from '../../ha.d/settings.ts'
import { run } from '../../lib/exec.ts'
import { canAccess } from '../../lib/files.ts'
import { OCF } from '../../lib/ocf/codes.ts'
import type { Findings } from './findings.ts'

export interface Places {
  confDir: string
  /** where /etc/init.d, /etc/drbd.d and /etc/systemd/system are ('/' but in tests) */
  root: string
  /** halo's agents (the installed package's, or dist/agents beside this program) */
  agentsDir: string
}

const VALIDATE_TIMEOUT = 30_000

export async function checkResources(f: Findings, settings: Settings, where: Places): Promise<void> {
  const file = join(where.confDir, 'haresources')
  // read again for the lines (loadSettings read it without error already)
  for (const group of readHaresources(file, settings.config.nodes)) {
    const { line } = group
    for (const r of group.resources) {
      const candidates = scriptCandidates(r.script, where.confDir, join(where.root, 'etc/init.d'))
      const path = candidates.find((c) => existsSync(c))
      if (!path) {
        f.error(file, line, `${r.text}: no script ${r.script} in ${candidates.join(' or ')}: install it (halo's agents: /usr/lib/halo/v1-names), or correct the name`)
        continue
      }
      if (!canAccess(path, constants.X_OK)) {
        f.error(file, line, `${r.text}: ${path} is not executable: chmod 755 ${path}`)
        continue
      }
      if (!isHaloAgent(path, where.agentsDir)) continue
      const result = await run([path, ...r.args, 'validate-all'], { timeout: VALIDATE_TIMEOUT })
      if (result.code === OCF.SUCCESS) continue
      const why = reasonOf(result.stderr) || (result.timedOut ? `no answer in ${VALIDATE_TIMEOUT / 1000} s` : `exit code ${result.code}`)
      // not installed here may be what lives on the shared disk, mounted only on the node that serves
      if (result.code === OCF.ERR_INSTALLED) f.warn(file, line, `${r.text}: ${why} (on this node now; fine if it is on the shared disk, mounted by the group)`)
      else f.error(file, line, `${r.text}: ${why}`)
    }
  }
}



function isHaloAgent(path: string, agentsDir: string): boolean {
  try {
    return realpathSync(path).startsWith(realpathSync(agentsDir) + sep)
  } catch {
    return false
  }
}

/** the agent's exit reasons (ocf-exit-reason:TEXT on stderr), else its last line of stderr */
function reasonOf(stderr: string): string {
  const lines = stderr.split('\n').filter(Boolean)
  const reasons = lines.filter((l) => l.startsWith('ocf-exit-reason:')).map((l) => l.slice('ocf-exit-reason:'.length))
  return reasons.length ? reasons.join('; ') : (lines.at(-1) ?? '')
}
