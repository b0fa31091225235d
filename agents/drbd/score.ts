/**
 * The promotion score Pacemaker reads to choose where DRBD becomes Primary, from the disk states both
 * sides report (the linbit agent's scale, so constraints written for it keep their meaning).
 */
import { run } from '../../lib/exec.ts'
import type { Logger } from '../../lib/log.ts'
import type { DrbdStatus } from './status.ts'

/** undefined: this node must not be promoted (the score is removed). */
export function promotionScore(s: DrbdStatus): number | undefined {
  // StandAlone: replication was cut by hand or by a split brain; this side's data may be the outdated one
  if (s.connection === 'StandAlone' && s.role !== 'Primary') return undefined
  if (s.disk === 'UpToDate') return s.peerDisk === 'UpToDate' || s.role === 'Primary' ? 10000 : 1000
  if (s.peerDisk === 'UpToDate') return 10
  if (s.disk === 'Consistent') return 0
  return undefined
}

/**
 * Pacemaker runs a promotable clone with clone meta attributes in the environment; outside a cluster
 * (ocf-tester, crm_resource --force-*) there is no one to tell.
 */
export async function publishScore(env: NodeJS.ProcessEnv, log: Logger, score: number | undefined, deadline: number): Promise<void> {
  const wording = score === undefined ? 'removal of the promotion score' : `promotion score ${score}`
  if (env.OCF_RESKEY_CRM_meta_clone_max === undefined) {
    log.info(`not run by Pacemaker as a clone: ${wording} not published`)
    return
  }
  const resource = (env.OCF_RESOURCE_INSTANCE ?? '').replace(/:\d+$/, '')
  const node = env.OCF_RESKEY_CRM_meta_on_node ? ['-N', env.OCF_RESKEY_CRM_meta_on_node] : []
  const value = score === undefined ? ['-D'] : ['-v', String(score)]
  const r = await run(['crm_attribute', '-p', resource, '-l', 'reboot', ...node, ...value], {
    timeout: Math.max(1, Math.round(deadline - performance.now())),
  }).catch((e: Error) => ({ code: -1, stderr: e.message }))
  if (r.code !== 0) log.err(`cannot publish ${wording}: crm_attribute: ${r.stderr.trim()}`)
}
