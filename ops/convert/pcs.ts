/**
 * The converted cluster as pcs 0.11 commands, a POSIX shell script: every word is single-quoted, so no value
 * can become shell syntax. Run on one node as root, it works on a copy of the live CIB and pushes it once
 * (one transition, not one per command); given a CIB file (`sh resources.pcs FILE`) it changes only that file.
 */
import type { Cluster, Op, Primitive } from './model.ts'

/** one word for sh: '…' with each ' written as '\'' */
export const sq = (word: string) => (/^[A-Za-z0-9_.,:=\/@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`)

const pairs = (list: [string, string][]) => list.map(([k, v]) => `${k}=${v}`)
const ops = (list: Op[]) => list.flatMap((o) => ['op', o.name, `interval=${o.interval}`, `timeout=${o.timeout}`, ...(o.role ? [`role=${o.role}`] : [])])
const agent = (p: Primitive) => (p.class === 'stonith' ? p.type : [p.class, p.provider, p.type].filter(Boolean).join(':'))

export function pcsScript(c: Cluster): string {
  const cmds: string[][] = []
  const pcs = (...words: string[]) => cmds.push(['pcs', '-f', '"$cib"', ...words.map(sq)])
  for (const [k, v] of c.properties) pcs('property', 'set', `${k}=${v}`)
  for (const [k, v] of c.rscDefaults) pcs('resource', 'defaults', 'update', `${k}=${v}`)
  for (const f of c.primitives) pcs('stonith', 'create', f.id, f.type, ...pairs(f.params), ...ops(f.ops))
  for (const k of c.clones) {
    const p = k.primitive
    const meta = pairs(k.meta.filter(([name]) => name !== 'promotable'))
    pcs('resource', 'create', p.id, agent(p), ...pairs(p.params), ...ops(p.ops), ...(p.meta.length ? ['meta', ...pairs(p.meta)] : []), k.promotable ? 'promotable' : 'clone', ...meta)
  }
  for (const g of c.groups) {
    for (const p of g.members) {
      pcs('resource', 'create', p.id, agent(p), ...pairs(p.params), ...ops(p.ops), ...(p.meta.length ? ['meta', ...pairs(p.meta)] : []), '--group', g.id)
    }
  }
  for (const x of c.constraints) {
    if (x.kind === 'location') pcs('constraint', 'location', x.rsc, x.score.startsWith('-') ? 'avoids' : 'prefers', `${x.node}=${x.score.replace(/^-/, '')}`)
    else if (x.kind === 'location-rule') {
      for (const r of x.rules) {
        const score = r.scoreAttribute ? `score-attribute=${r.scoreAttribute}` : `score=${r.score}`
        const expr = r.expressions.flatMap((e, i) => [...(i > 0 ? [r.booleanOp ?? 'and'] : []), ...(e.value === undefined ? [e.operation, e.attribute] : [e.attribute, e.operation, e.value])])
        pcs('constraint', 'location', x.rsc, 'rule', score, ...expr)
      }
    } else if (x.kind === 'colocation') pcs('constraint', 'colocation', 'add', x.rsc, 'with', ...(x.withRole ? [x.withRole] : []), x.withRsc, x.score)
    else pcs('constraint', 'order', ...(x.firstAction ? [x.firstAction] : []), x.first, 'then', ...(x.thenAction ? [x.thenAction] : []), x.then)
  }
  return [
    '#!/bin/sh',
    '# written by halo convert: the resources of the converted cluster, as pcs commands. Run on one node as root',
    '# once the cluster runs (pcs cluster start --all): it edits a copy of the CIB and pushes it at the end.',
    '# sh resources.pcs FILE: edit the CIB file FILE only (pcs -f), push nothing.',
    'set -eu',
    'if [ $# -gt 0 ]; then cib=$1; push=no; else cib=$(mktemp); pcs cluster cib "$cib"; push=yes; fi',
    ...cmds.map((words) => words.join(' ')),
    'if [ $push = yes ]; then pcs cluster cib-push "$cib" --config; rm -f "$cib"; fi',
    '',
  ].join('\n')
}
