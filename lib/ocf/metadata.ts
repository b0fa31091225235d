/**
 * OCF 1.0 meta-data, generated from the agent's spec; valid against ra-api-1.dtd, as ocf-tester checks.
 * Written with a few lines of escaping rather than xml2js: the agent bundle is parsed on every monitor
 * call, and xml2js alone made each start about 2 ms slower.
 */
import type { AgentSpec, ParamSpecs } from './spec.ts'

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

type Attrs = Record<string, string>
/** an element: empty, with text, or with children (indented two spaces a level) */
type Node = { name: string; attrs?: Attrs; text?: string; children?: Node[] }

function render(n: Node, indent = ''): string {
  const attrs = Object.entries(n.attrs ?? {})
    .map(([k, v]) => ` ${k}="${escape(v)}"`)
    .join('')
  if (n.text !== undefined) return `${indent}<${n.name}${attrs}>${escape(n.text)}</${n.name}>\n`
  if (!n.children) return `${indent}<${n.name}${attrs}/>\n`
  return `${indent}<${n.name}${attrs}>\n${n.children.map((c) => render(c, `${indent}  `)).join('')}${indent}</${n.name}>\n`
}

const desc = (name: 'longdesc' | 'shortdesc', text: string): Node => ({ name, attrs: { lang: 'en' }, text })

/**
 * A promotable agent (one with promote) is monitored once per role, and Pacemaker needs the two intervals
 * to differ; the roles are named as Pacemaker 2.1 and its own Stateful agent name them.
 */
function monitors(spec: AgentSpec<ParamSpecs, unknown>, timeout: string, depth: string): Attrs[] {
  const interval = spec.monitorInterval ?? 10
  if (!spec.actions.promote) return [{ name: 'monitor', timeout, interval: `${interval}s`, depth }]
  return [
    { name: 'monitor', timeout, interval: `${interval}s`, depth, role: 'Promoted' },
    { name: 'monitor', timeout, interval: `${interval + 1}s`, depth, role: 'Unpromoted' },
  ]
}

export function metaData(spec: AgentSpec<ParamSpecs, unknown>): string {
  const t = (action: string, fallback: number) => `${spec.timeouts?.[action as 'start'] ?? fallback}s`
  const actions: Attrs[] = [
    { name: 'start', timeout: t('start', 20) },
    { name: 'stop', timeout: t('stop', 20) },
    ...(spec.depths ?? [0]).flatMap((depth) => monitors(spec, t('monitor', 20), String(depth))),
  ]
  for (const name of ['promote', 'demote', 'notify', 'reload'] as const) {
    if (spec.actions[name]) actions.push({ name, timeout: t(name, 20) })
  }
  actions.push({ name: 'validate-all', timeout: t('validate-all', 20) }, { name: 'meta-data', timeout: '5s' })

  const parameters: Node[] = Object.entries(spec.parameters).map(([name, p]) => ({
    name: 'parameter',
    attrs: { name, required: p.required ? '1' : '0', unique: p.unique ? '1' : '0' },
    children: [
      desc('longdesc', p.longdesc ?? p.shortdesc),
      desc('shortdesc', p.shortdesc),
      { name: 'content', attrs: p.default === undefined ? { type: p.type } : { type: p.type, default: String(p.default) } },
    ],
  }))

  const agent: Node = {
    name: 'resource-agent',
    attrs: { name: spec.name, version: spec.version },
    children: [
      { name: 'version', text: '1.0' },
      desc('longdesc', spec.longdesc),
      desc('shortdesc', spec.shortdesc),
      { name: 'parameters', children: parameters },
      { name: 'actions', children: actions.map((attrs) => ({ name: 'action', attrs })) },
    ],
  }
  // no encoding declaration (UTF-8 is XML's default), as Pacemaker's own agents: crmsh parses meta-data as a
  // text string with lxml, which refuses a string that declares an encoding ("Cannot parse meta-data XML")
  return `<?xml version="1.0"?>\n<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">\n${render(agent)}`
}
