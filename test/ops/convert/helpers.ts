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

/**
 * crm_verify on the CIB as the running cluster will hold it: every node online and the partition quorate
 * (without a status section Pacemaker would fence every node it has not seen, and say so). Returns its
 * exit code and everything it printed at -V.
 */
export async function verifyCib(text: string, dir: string): Promise<{ code: number | null; said: string }> {
  const cib = await readCib(text)
  cib.cib.$['have-quorum'] = '1'
  const nodes = cib.cib.configuration[0].nodes[0].node.map((n: Xml) => n.$)
  cib.cib.status = [{ node_state: nodes.map((n: Xml) => ({ $: { id: n.id, uname: n.uname, in_ccm: 'true', crmd: 'online', join: 'member', expected: 'member' } })) }]
  const file = join(dir, 'verify.xml')
  writeFileSync(file, new Builder().buildObject(cib))
  const r = await run(['crm_verify', '--xml-file', file, '-V'], { timeout: 60_000 })
  return { code: r.code, said: (r.stdout + r.stderr).trim() }
}
