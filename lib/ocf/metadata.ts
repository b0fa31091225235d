/** OCF 1.0 meta-data, generated from the agent's spec; valid against ra-api-1.dtd, as ocf-tester checks. */
import { Builder } from 'xml2js'
import type { AgentSpec, ParamSpecs } from './spec.ts'

export function metaData(spec: AgentSpec<ParamSpecs>): string {
  const t = (action: string, fallback: number) => `${spec.timeouts?.[action as 'start'] ?? fallback}s`
  const actions: Record<string, string>[] = [
    { name: 'start', timeout: t('start', 20) },
    { name: 'stop', timeout: t('stop', 20) },
    ...(spec.depths ?? [0]).map((depth) => ({
      name: 'monitor',
      timeout: t('monitor', 20),
      interval: `${spec.monitorInterval ?? 10}s`,
      depth: String(depth),
    })),
  ]
  for (const name of ['promote', 'demote', 'notify', 'reload'] as const) {
    if (spec.actions[name]) actions.push({ name, timeout: t(name, 20) })
  }
  actions.push({ name: 'validate-all', timeout: t('validate-all', 20) }, { name: 'meta-data', timeout: '5s' })

  const parameters = Object.entries(spec.parameters).map(([name, p]) => ({
    $: { name, required: p.required ? '1' : '0', unique: p.unique ? '1' : '0' },
    longdesc: { $: { lang: 'en' }, _: p.longdesc ?? p.shortdesc },
    shortdesc: { $: { lang: 'en' }, _: p.shortdesc },
    content: { $: p.default === undefined ? { type: p.type } : { type: p.type, default: String(p.default) } },
  }))

  const doc = {
    'resource-agent': {
      $: { name: spec.name, version: spec.version },
      version: '1.0',
      longdesc: { $: { lang: 'en' }, _: spec.longdesc },
      shortdesc: { $: { lang: 'en' }, _: spec.shortdesc },
      parameters: { parameter: parameters },
      actions: { action: actions.map(($) => ({ $ })) },
    },
  }
  const builder = new Builder({
    xmldec: { version: '1.0', encoding: 'UTF-8' },
    doctype: { sysID: 'ra-api-1.dtd' },
    renderOpts: { pretty: true, indent: '  ', newline: '\n' },
  })
  return builder.buildObject(doc) + '\n'
}
