/**
 * The part of JSON Schema that ops/status/status.schema.json uses (type, enum, properties, required,
 * additionalProperties false, items): every place the value breaks it, as `path: why`.
 */
type Schema = { type?: string | string[]; enum?: unknown[]; properties?: Record<string, Schema>; required?: string[]; additionalProperties?: boolean; items?: Schema }

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v)

export function violations(schema: Schema, value: unknown, path = '$'): string[] {
  const t = typeOf(value)
  const types = schema.type === undefined ? undefined : [schema.type].flat()
  if (types && !types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: ${t}, not ${types.join(' or ')}`]
  const out: string[] = []
  if (schema.enum && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} is none of ${JSON.stringify(schema.enum)}`)
  if (t === 'object' && schema.properties) {
    const o = value as Record<string, unknown>
    for (const k of schema.required ?? []) if (!(k in o)) out.push(`${path}: no ${k}`)
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined) continue
      const sub = schema.properties[k]
      if (sub) out.push(...violations(sub, v, `${path}.${k}`))
      else if (schema.additionalProperties === false) out.push(`${path}: ${k} is not in the schema`)
    }
  }
  if (t === 'array' && schema.items) (value as unknown[]).forEach((v, i) => out.push(...violations(schema.items!, v, `${path}[${i}]`)))
  return out
}
