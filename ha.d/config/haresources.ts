/**
 * /etc/ha.d/haresources: one resource group a line, `node res1 res2::a::b …`, as Heartbeat 3.0.6 reads
 * it: `#` at the start of a word comments out the rest (`nodea#x` is a name), a trailing backslash
 * continues the line, the node name is lowercased and must be a node of ha.cf. A bare IPv4-shaped
 * token means IPaddr::token; `script::a::b` runs `script a b <action>`. The group is keyed by its
 * first resource, as the daemon names it.
 */
import { join } from 'node:path'
import { ConfigError, collectConfigError, throwConfigErrors } from '../../lib/errors.ts'
import { configLines, readConfigFile } from '../../lib/config/lines.ts'

export interface Resource {
  script: string
  args: string[]
  /** as written in the file: IPaddr::10.0.0.5/24, or the bare 10.0.0.5/24 */
  text: string
}

export interface ResourceGroup {
  /** the preferred node, lowercased */
  node: string
  /** the first resource as written: how Heartbeat names the group */
  key: string
  resources: Resource[]
  line: number
}

/** Heartbeat's shell glob `[0-9]*.[0-9]*.[0-9]*.[0-9]*`, where `*` matches anything, dots included. */
const ipShaped = /^[0-9].*\.[0-9].*\.[0-9].*\.[0-9].*$/

export function parseResource(text: string): Resource {
  if (ipShaped.test(text)) return { script: 'IPaddr', args: [text], text }
  const [script, ...args] = text.split('::')
  return { script, args, text }
}

export function parseHaresources(text: string, file: string, nodes: readonly string[]): ResourceGroup[] {
  const groups: ResourceGroup[] = []
  // every wrong line is reported, as Heartbeat does, then none of the file is used
  const errors: ConfigError[] = []
  let pending: { line: number; text: string } | undefined
  for (const { no, text: line } of configLines(text, 'word')) {
    const joined = pending ? `${pending.text} ${line}` : line
    const first = pending?.line ?? no
    if (joined.endsWith('\\')) {
      pending = { line: first, text: joined.slice(0, -1) }
      continue
    }
    pending = undefined
    collectConfigError(errors, () => {
      const [name, ...resources] = joined.split(/\s+/).filter(Boolean)
      const node = name.toLowerCase()
      if (!nodes.includes(node)) {
        throw new ConfigError(file, first, `${name} is not a node of ha.cf (${nodes.join(', ')}): each line starts with the node that owns the group`)
      }
      for (const r of resources) {
        if (r.startsWith('::') || r.split('::')[0] === '') throw new ConfigError(file, first, `${r}: a resource starts with its script name, e.g. IPaddr::10.0.0.5/24`)
      }
      if (resources.length > 0) groups.push({ node, key: resources[0], resources: resources.map(parseResource), line: first })
    })
  }
  if (pending) errors.push(new ConfigError(file, pending.line, 'the last line ends with a backslash: remove it or add the continuation'))
  throwConfigErrors(errors)
  return groups
}

/** Where the engine looks for a script, in order: resource.d of the config dir, then init.d. */
export function scriptCandidates(script: string, confdir = '/etc/ha.d', initdir = '/etc/init.d'): string[] {
  return [join(confdir, 'resource.d', script), join(initdir, script)]
}

export function readHaresources(path: string, nodes: readonly string[]): ResourceGroup[] {
  return parseHaresources(readConfigFile(path), path, nodes)
}
