// What the convert tests share: a fixture copied to a temporary root (resource.d linked to the built agents,
// as the package links them), the built agents, the CIB read back with xml2js and checked by crm_verify.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Builder, parseStringPromise } from 'xml2js'
import { run } from '../../../lib/exec.ts'

export const repo = fileURLToPath(new URL('../../../', import.meta.url))
export const agentsDir = join(repo, 'dist/agents')
export const example = join(repo, 'examples/mysql-appserver-cluster')
export const halo = join(repo, 'dist/bin/halo')

/** A fixture of test/ops/convert/fixtures in a fresh folder: ROOT/ha.d, ROOT/etc; resource.d as the package makes it. */
export function fixtureRoot(name: string, tmp = mkdtempSync(join(tmpdir(), 'halo-convert-'))): string {
  cpSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), tmp, { recursive: true })
  const resourceD = join(tmp, 'ha.d/resource.d')
  mkdirSync(resourceD, { recursive: true })
  symlinkSync(join(agentsDir, 'IPaddr'), join(resourceD, 'IPaddr2'))
  writeFileSync(join(resourceD, 'legacyscript'), '#!/bin/sh\nexit 0\n')
  chmodSync(join(resourceD, 'legacyscript'), 0o755)
  return tmp
}

export type Xml = any

export const readCib = (text: string): Promise<Xml> => parseStringPromise(text)

/** the name=value pairs of an element's instance_attributes or meta_attributes */
export function pairsOf(el: Xml, kind: 'instance_attributes' | 'meta_attributes'): Record<string, string> {
  return Object.fromEntries((el[kind]?.[0]?.nvpair ?? []).map((p: Xml) => [p.$.name, p.$.value]))
}

/** The CIB as a running cluster holds it: every node online and the partition quorate. */
function running(cib: Xml): void {
  cib.cib.$['have-quorum'] = '1'
  const nodes = cib.cib.configuration[0].nodes[0].node.map((n: Xml) => n.$)
  cib.cib.status = [{ node_state: nodes.map((n: Xml) => ({ $: { id: n.id, uname: n.uname, in_ccm: 'true', crmd: 'online', join: 'member', expected: 'member' } })) }]
}

/**
 * crm_verify on the CIB as the running cluster will hold it: every node online and the partition quorate
 * (without a status section Pacemaker would fence every node it has not seen, and say so). Returns its
 * exit code and everything it printed at -V.
 */
export async function verifyCib(text: string, dir: string): Promise<{ code: number | null; said: string }> {
  const cib = await readCib(text)
  running(cib)
  const file = join(dir, 'verify.xml')
  writeFileSync(file, new Builder().buildObject(cib))
  const r = await run(['crm_verify', '--xml-file', file, '-V'], { timeout: 60_000 })
  return { code: r.code, said: (r.stdout + r.stderr).trim() }
}

export const withAgents = join(repo, 'test/ops/convert/with-agents.sh')

/** An empty CIB (cibadmin --empty) of a running cluster of these nodes: what pcs -f and crm edit. */
export async function emptyCib(file: string, nodes: string[]): Promise<void> {
  const empty = await run(['cibadmin', '--empty'])
  const cib = await readCib(empty.stdout)
  cib.cib.configuration[0].nodes = [{ node: nodes.map((uname, i) => ({ $: { id: String(i + 1), uname } })) }]
  running(cib)
  writeFileSync(file, new Builder().buildObject(cib))
}

/**
 * What a CIB configures, without the ids tools make up: each resource (agent, parameters, meta attributes,
 * operations), each group's members, each clone's meta attributes, the constraints by their content.
 */
export async function meaning(text: string): Promise<Record<string, unknown>> {
  const conf = (await readCib(text)).cib.configuration[0]
  const r = conf.resources[0] === '' ? {} : conf.resources[0]
  const primitive = (p: Xml) => ({
    agent: [p.$.class, p.$.provider, p.$.type].filter(Boolean).join(':'),
    params: pairsOf(p, 'instance_attributes'),
    meta: pairsOf(p, 'meta_attributes'),
    ops: (p.operations?.[0]?.op ?? []).map((o: Xml) => [o.$.name, o.$.interval, o.$.timeout, o.$.role ?? ''].join(' ')).sort(),
  })
  const all = [...(r.primitive ?? []), ...(r.group ?? []).flatMap((g: Xml) => g.primitive), ...(r.clone ?? []).map((k: Xml) => k.primitive[0])]
  const c = conf.constraints[0] === '' ? {} : conf.constraints[0]
  const attrs = (x: Xml, names: string[]) => names.map((n) => `${n}=${x.$[n] ?? ''}`).join(' ')
  // one line per rule: rules of one constraint add up as if in constraints of their own (pcs makes one each)
  const rule = (ru: Xml) => `${attrs(ru, ['score', 'score-attribute', 'boolean-op'])}: ${ru.expression.map((e: Xml) => attrs(e, ['attribute', 'operation', 'value'])).join(', ')}`
  return {
    resources: Object.fromEntries(all.map((p: Xml) => [p.$.id, primitive(p)])),
    groups: Object.fromEntries((r.group ?? []).map((g: Xml) => [g.$.id, g.primitive.map((p: Xml) => p.$.id)])),
    clones: Object.fromEntries((r.clone ?? []).map((k: Xml) => [k.primitive[0].$.id, pairsOf(k, 'meta_attributes')])),
    constraints: [
      ...(c.rsc_location ?? []).flatMap((x: Xml) => (x.rule ? x.rule.map((ru: Xml) => `location ${x.$.rsc} rule ${rule(ru)}`) : [`location ${attrs(x, ['rsc', 'node', 'score'])}`])),
      ...(c.rsc_colocation ?? []).map((x: Xml) => `colocation ${attrs(x, ['rsc', 'with-rsc', 'with-rsc-role', 'score'])}`),
      ...(c.rsc_order ?? []).map((x: Xml) => `order ${attrs(x, ['first', 'first-action', 'then', 'then-action'])} kind=${x.$.kind ?? 'Mandatory'}`),
    ].sort(),
  }
}
