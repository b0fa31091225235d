/**
 * The converted cluster in crm shell's configure language (crmsh 4.4), for `crm configure load update
 * resources.crm`. crmsh splits lines as a POSIX shell does (shlex): every value that is not a plain word is
 * single-quoted, so a value can never become syntax.
 */
import type { Cluster, Op, Primitive } from './model.ts'
import { sq } from './pcs.ts'

const pairs = (list: [string, string][]) => list.map(([k, v]) => `${k}=${sq(v)}`).join(' ')
const op = (o: Op) => `op ${o.name} interval=${o.interval} timeout=${o.timeout}${o.role ? ` role=${o.role}` : ''}`

function primitive(p: Primitive): string {
  const type = p.class === 'stonith' ? `stonith:${p.type}` : [p.class, p.provider, p.type].filter(Boolean).join(':')
  return [
    `primitive ${p.id} ${type}`,
    ...(p.params.length ? [`params ${pairs(p.params)}`] : []),
    ...p.ops.map(op),
    ...(p.meta.length ? [`meta ${pairs(p.meta)}`] : []),
  ].join(' \\\n    ')
}

export function crmScript(c: Cluster): string {
  const lines: string[] = [
    '# written by halo convert: the resources of the converted cluster for crm shell.',
    '# Run on one node as root once the cluster runs: crm configure load update resources.crm',
  ]
  for (const p of [...c.primitives, ...c.clones.map((k) => k.primitive), ...c.groups.flatMap((g) => g.members)]) lines.push(primitive(p))
  for (const g of c.groups) lines.push(`group ${g.id} ${g.members.map((m) => m.id).join(' ')}`)
  for (const k of c.clones) lines.push(`clone ${k.id} ${k.primitive.id}${k.meta.length ? ` meta ${pairs(k.meta)}` : ''}`)
  for (const x of c.constraints) {
    if (x.kind === 'location') lines.push(`location ${x.id} ${x.rsc} ${x.score}: ${x.node}`)
    else if (x.kind === 'location-rule') {
      const rules = x.rules.map((r) => {
        const score = r.scoreAttribute ? `${r.scoreAttribute}:` : `${r.score}:`
        const expr = r.expressions.map((e) => (e.value === undefined ? `${e.operation} ${e.attribute}` : `${e.attribute} ${e.operation} ${sq(e.value)}`)).join(` ${r.booleanOp ?? 'and'} `)
        return `rule ${score} ${expr}`
      })
      lines.push(`location ${x.id} ${x.rsc} \\\n    ${rules.join(' \\\n    ')}`)
    } else if (x.kind === 'colocation') lines.push(`colocation ${x.id} ${x.score}: ${x.rsc} ${x.withRsc}${x.withRole ? `:${x.withRole}` : ''}`)
    else lines.push(`order ${x.id} ${x.orderKind}: ${x.first}${x.firstAction ? `:${x.firstAction}` : ''} ${x.then}${x.thenAction ? `:${x.thenAction}` : ''}`)
  }
  lines.push(`property ${pairs(c.properties)}`, `rsc_defaults ${pairs(c.rscDefaults)}`, '')
  return lines.join('\n')
}
