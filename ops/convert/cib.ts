/**
 * The converted cluster as a CIB (Pacemaker 2.1's schema, pacemaker-3.9), built as an object and written by
 * xml2js, so every value is escaped by the XML writer, never pasted into markup. Node ids are Corosync's
 * nodeids of the same conversion (1, 2, … in node order).
 */
import { Builder } from 'xml2js'
import type { Cluster, Constraint, Op, Pairs, Primitive, Rule } from './model.ts'

type El = Record<string, unknown>

const nvpairs = (owner: string, pairs: Pairs): El[] => pairs.map(([name, value]) => ({ $: { id: `${owner}-${name}`, name, value } }))

function attributes(kind: 'instance_attributes' | 'meta_attributes', owner: string, pairs: Pairs): El {
  return pairs.length ? { [kind]: [{ $: { id: `${owner}-${kind}` }, nvpair: nvpairs(`${owner}-${kind}`, pairs) }] } : {}
}

function op(owner: string, o: Op): El {
  const id = [owner, o.name, o.interval, o.role].filter(Boolean).join('-')
  return { $: { id, name: o.name, interval: o.interval, timeout: o.timeout, ...(o.role ? { role: o.role } : {}) } }
}

function primitive(p: Primitive): El {
  return {
    $: { id: p.id, class: p.class, ...(p.provider ? { provider: p.provider } : {}), type: p.type },
    ...attributes('instance_attributes', p.id, p.params),
    ...attributes('meta_attributes', p.id, p.meta),
    ...(p.ops.length ? { operations: [{ op: p.ops.map((o) => op(p.id, o)) }] } : {}),
  }
}

function rule(owner: string, r: Rule, n: number): El {
  const id = `${owner}-rule${n === 0 ? '' : `-${n}`}`
  return {
    $: { id, ...(r.score ? { score: r.score } : {}), ...(r.scoreAttribute ? { 'score-attribute': r.scoreAttribute } : {}), ...(r.booleanOp ? { 'boolean-op': r.booleanOp } : {}) },
    expression: r.expressions.map((e, i) => ({ $: { id: `${id}-expr${i === 0 ? '' : `-${i}`}`, attribute: e.attribute, operation: e.operation, ...(e.value ? { value: e.value } : {}) } })),
  }
}

function constraints(list: Constraint[]): El {
  const out: Record<string, El[]> = { rsc_location: [], rsc_colocation: [], rsc_order: [] }
  for (const c of list) {
    if (c.kind === 'location') out.rsc_location.push({ $: { id: c.id, rsc: c.rsc, node: c.node, score: c.score } })
    else if (c.kind === 'location-rule') out.rsc_location.push({ $: { id: c.id, rsc: c.rsc }, rule: c.rules.map((r, n) => rule(c.id, r, n)) })
    else if (c.kind === 'colocation') out.rsc_colocation.push({ $: { id: c.id, rsc: c.rsc, 'with-rsc': c.withRsc, ...(c.withRole ? { 'with-rsc-role': c.withRole } : {}), score: c.score } })
    else out.rsc_order.push({ $: { id: c.id, first: c.first, ...(c.firstAction ? { 'first-action': c.firstAction } : {}), then: c.then, ...(c.thenAction ? { 'then-action': c.thenAction } : {}), kind: c.orderKind } })
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v.length))
}

export function cibXml(c: Cluster): string {
  const cib = {
    cib: {
      $: { 'validate-with': 'pacemaker-3.9', admin_epoch: '0', epoch: '1', num_updates: '0' },
      configuration: [
        {
          crm_config: [{ cluster_property_set: [{ $: { id: 'cib-bootstrap-options' }, nvpair: nvpairs('cib-bootstrap-options', c.properties) }] }],
          nodes: [{ node: c.nodes.map((uname, i) => ({ $: { id: String(i + 1), uname } })) }],
          resources: [
            {
              primitive: c.primitives.map(primitive),
              group: c.groups.map((g) => ({ $: { id: g.id }, primitive: g.members.map(primitive) })),
              clone: c.clones.map((k) => ({ $: { id: k.id }, ...attributes('meta_attributes', k.id, k.meta), primitive: [primitive(k.primitive)] })),
            },
          ],
          constraints: [constraints(c.constraints)],
          rsc_defaults: [{ meta_attributes: [{ $: { id: 'rsc-options' }, nvpair: nvpairs('rsc-options', c.rscDefaults) }] }],
        },
      ],
      status: [''],
    },
  }
  return new Builder({ xmldec: { version: '1.0', encoding: 'UTF-8' }, renderOpts: { pretty: true, indent: '  ', newline: '\n' } }).buildObject(cib) + '\n'
}
