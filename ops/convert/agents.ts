/**
 * What halo's agents say about themselves, asked of the programs (ops never imports agents/): which agent a
 * haresources name runs (the resource.d link, or the agent's own v1 usage line), the named parameters its
 * v1 arguments map onto (`AGENT args… ocf-parameters`, the agent's own v1 parser) and its operations
 * (`AGENT meta-data`). One answer per question: the agents are asked once each.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs'
import { basename, join, sep } from 'node:path'
import { parseStringPromise } from 'xml2js'
import { run } from '../../lib/exec.ts'

const AGENT_TIMEOUT = 20_000

/** An operation as the agent's meta-data advertises it (interval and timeout as written: `20s`). */
export interface MetaOp {
  name: string
  interval?: string
  timeout?: string
  role?: string
  depth?: string
}

export interface AgentMeta {
  parameters: string[]
  ops: MetaOp[]
}

export class Agents {
  private metas = new Map<string, Promise<AgentMeta | undefined>>()
  private v1Names?: Promise<Map<string, string>>

  constructor(
    /** halo's agents (the package's, or dist/agents beside the program) */
    readonly dir: string,
    /** resource.d of the config folder: a link there into dir names the agent */
    readonly resourceD: string,
  ) {}

  /** The halo agent a haresources script name runs, or undefined (an init script, another program). */
  async agentOf(script: string): Promise<string | undefined> {
    const linked = join(this.resourceD, script)
    if (existsSync(linked)) {
      const real = realpathSync(linked)
      return real.startsWith(realpathSync(this.dir) + sep) ? basename(real) : undefined
    }
    return (await this.names()).get(script)
  }

  /** haresources name → agent, from each agent's v1 usage line (`mysqld [/etc/mysql/my.cnf] {start|stop|status}`). */
  private names(): Promise<Map<string, string>> {
    this.v1Names ??= (async () => {
      const names = new Map<string, string>()
      const agents = existsSync(this.dir) ? readdirSync(this.dir) : []
      const usages = await Promise.all(agents.map((agent) => run([join(this.dir, agent), 'usage'], { timeout: AGENT_TIMEOUT })))
      for (const [i, agent] of agents.entries()) {
        names.set(agent, agent)
        const v1 = usages[i].stdout.split('\n').find((l) => /^\s+\S/.test(l))
        if (v1) names.set(v1.trim().split(/\s+/)[0], agent)
      }
      return names
    })()
    return this.v1Names
  }

  /** The agent's named parameters for haresources' arguments, or the agent's reason they are wrong. */
  async parameters(agent: string, args: readonly string[]): Promise<{ params: [string, string][] } | { error: string }> {
    const r = await run([join(this.dir, agent), ...args, 'ocf-parameters'], { timeout: AGENT_TIMEOUT })
    if (r.code !== 0) {
      const reason = r.stderr.split('\n').find((l) => l.startsWith('ocf-exit-reason:'))?.slice('ocf-exit-reason:'.length)
      return { error: reason ?? (r.stderr.trim() || `exit code ${r.code}`) }
    }
    return { params: Object.entries(JSON.parse(r.stdout) as Record<string, string>) }
  }

  /** The agent's meta-data: its parameter names and advertised operations; undefined when it has none. */
  meta(agent: string): Promise<AgentMeta | undefined> {
    if (!this.metas.has(agent)) this.metas.set(agent, metaOf([join(this.dir, agent), 'meta-data']))
    return this.metas.get(agent)!
  }
}

/** Any OCF agent's or fence agent's meta-data, read with xml2js (fence agents: `fence_x -o metadata`). */
export async function metaOf(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<AgentMeta | undefined> {
  if (!existsSync(argv[0])) return undefined
  const r = await run(argv, { timeout: AGENT_TIMEOUT, env })
  if (r.code !== 0) return undefined
  const doc = await parseStringPromise(r.stdout)
  const root = doc['resource-agent']
  const attrs = (list: { $: Record<string, string> }[] | undefined) => (list ?? []).map((x) => x.$)
  return {
    parameters: attrs(root.parameters?.[0]?.parameter).map((p) => p.name),
    ops: attrs(root.actions?.[0]?.action) as unknown as MetaOp[],
  }
}
