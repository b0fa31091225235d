/**
 * Manual pages for the agents, written from each agent's own meta-data as resource-agents writes its
 * ocf_heartbeat_*(7) (there with XSLT): ocf_halo_IPaddr(7) says what `IPaddr meta-data` says, so the page
 * and the agent cannot disagree. Read with a few patterns rather than an XML library: the meta-data is
 * halo's own (lib/ocf/metadata.ts), with one known shape.
 */
import { run } from '../lib/exec.ts'

export interface AgentMeta {
  name: string
  version: string
  shortdesc: string
  longdesc: string
  parameters: { name: string; required: boolean; unique: boolean; shortdesc: string; longdesc: string; type: string; default?: string }[]
  actions: Record<string, string>[]
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&')
const attrs = (s: string): Record<string, string> =>
  Object.fromEntries([...s.matchAll(/(\w[\w-]*)="([^"]*)"/g)].map((m) => [m[1], unescape(m[2])]))
const text = (xml: string, tag: string): string => unescape(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`).exec(xml)?.[1] ?? '')

export function parseMetaData(xml: string): AgentMeta {
  const head = /<resource-agent ([^>]*)>/.exec(xml)
  if (!head) throw new Error('meta-data has no <resource-agent> element')
  const top = xml.replace(/<parameters>[\s\S]*<\/parameters>/, '')
  const parameters = [...xml.matchAll(/<parameter ([^>]*)>([\s\S]*?)<\/parameter>/g)].map(([, a, body]) => {
    const p = attrs(a)
    const content = attrs(/<content ([^>]*)\/>/.exec(body)?.[1] ?? '')
    return {
      name: p.name,
      required: p.required === '1',
      unique: p.unique === '1',
      shortdesc: text(body, 'shortdesc'),
      longdesc: text(body, 'longdesc'),
      type: content.type ?? 'string',
      default: content.default,
    }
  })
  return {
    ...(attrs(head[1]) as { name: string; version: string }),
    shortdesc: text(top, 'shortdesc'),
    longdesc: text(top, 'longdesc'),
    parameters,
    actions: [...xml.matchAll(/<action ([^>]*)\/>/g)].map((m) => attrs(m[1])),
  }
}

/** roff text: backslashes doubled, a leading dot or quote kept from being a request, dashes as minus signs */
export const roff = (s: string) =>
  s
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^['.]/.test(l) ? `\\&${l}` : l))
    .join('\n')

/** the .TH date: the source's date (SOURCE_DATE_EPOCH) for reproducible pages */
export function manDate(): string {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH)
  return (Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date()).toISOString().slice(0, 10)
}

export function agentPage(m: AgentMeta, haloVersion: string): string {
  const page = `ocf_halo_${m.name}`
  const actions = [...new Set(m.actions.map((a) => a.name))]
  const synopsis = m.parameters.map((p) => (p.required ? `OCF_RESKEY_${p.name}=${p.type}` : `[OCF_RESKEY_${p.name}=${p.type}]`))
  const lines = [
    `.TH ${page.toUpperCase()} 7 "${manDate()}" "halo ${haloVersion}" "OCF resource agents"`,
    '.SH NAME',
    `${page} \\- ${roff(m.shortdesc)}`,
    '.SH SYNOPSIS',
    `${roff(synopsis.join(' '))} ${m.name} [${actions.join(' | ')}]`,
    '.SH DESCRIPTION',
    roff(m.longdesc),
    '.PP',
    `The agent is /usr/lib/ocf/resource.d/halo/${m.name} (ocf:halo:${m.name}); this page is written from its meta\\-data.`,
    '.SH SUPPORTED PARAMETERS',
  ]
  for (const p of m.parameters) {
    const facts = [p.type, p.default === undefined ? undefined : `default: ${p.default}`, p.required ? 'required' : 'optional', p.unique ? 'unique' : undefined]
    lines.push('.TP', `\\fB${roff(p.name)}\\fR`, `${roff(p.shortdesc)}.`, roff(p.longdesc), '.br', `(${roff(facts.filter(Boolean).join(', '))})`)
  }
  lines.push('.SH SUPPORTED ACTIONS', 'Timeouts and intervals as the meta\\-data advises them.')
  for (const a of m.actions) {
    const facts = Object.entries(a).filter(([k]) => k !== 'name').map(([k, v]) => `${k}=${v}`)
    lines.push('.TP', `\\fB${roff(a.name)}\\fR`, roff(facts.join(' ') || 'no advice'))
  }
  lines.push(
    '.SH EXAMPLE',
    'Run by hand, as Pacemaker or ocf\\-tester would:',
    '.PP',
    '.nf',
    `${roff(m.parameters.filter((p) => p.required).map((p) => `OCF_RESKEY_${p.name}=...`).join(' '))} OCF_ROOT=/usr/lib/ocf \\e`,
    `    /usr/lib/ocf/resource.d/halo/${m.name} ${actions.includes('monitor') ? 'monitor' : actions[0]}`,
    '.fi',
    '.SH SEE ALSO',
    'halo(8), halo\\-heartbeat(8), /usr/lib/halo/README.md',
  )
  return `${lines.join('\n')}\n`
}

/** ocf_halo_<agent>(7) from `<agent> meta-data` */
export async function agentPageOf(agentPath: string, haloVersion: string): Promise<{ name: string; page: string }> {
  const r = await run([agentPath, 'meta-data'], { timeout: 10_000 })
  if (r.code !== 0) throw new Error(`${agentPath} meta-data exited ${r.code}: ${r.stderr}`)
  const m = parseMetaData(r.stdout)
  return { name: `ocf_halo_${m.name}.7`, page: agentPage(m, haloVersion) }
}
