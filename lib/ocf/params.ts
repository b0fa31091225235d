import { HaloError } from '../errors.ts'
import { ocfTime, parseDuration } from '../time.ts'
import { OCF } from './codes.ts'
import type { ParamSpec, ParamSpecs, Params } from './spec.ts'

/** An OCF boolean as the shell agents' ocf_is_true reads it; undefined when it is neither. */
export function ocfBoolean(text: string): boolean | undefined {
  if (/^(1|true|yes|on|y|ja)$/i.test(text.trim())) return true
  if (/^(0|false|no|off|n|nein)$/i.test(text.trim())) return false
  return undefined
}

/**
 * Turns raw strings (OCF_RESKEY_* or the v1 positional form) into typed parameters. An empty value counts
 * as unset, as in the shell agents. Throws HaloError(6) naming the parameter and the value.
 */
export function parseParams<P extends ParamSpecs>(specs: P, raw: Record<string, string | undefined>): Params<P> {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(specs)) {
    const text = raw[name]
    if (text === undefined || text === '') {
      if (spec.required) throw new HaloError(OCF.ERR_CONFIGURED, `parameter ${name} is required (${spec.shortdesc})`)
      out[name] = spec.default === undefined ? undefined : typeof spec.default === 'string' ? convert(name, spec, spec.default) : spec.default
      continue
    }
    out[name] = convert(name, spec, text)
  }
  return out as Params<P>
}

function convert(name: string, spec: ParamSpec, text: string): string | number | boolean {
  const bad = (what: string) => new HaloError(OCF.ERR_CONFIGURED, `parameter ${name}: "${text}" is not ${what}`)
  switch (spec.type) {
    case 'integer':
      if (!/^-?\d+$/.test(text.trim())) throw bad('an integer')
      return Number(text)
    case 'boolean': {
      const value = ocfBoolean(text)
      if (value === undefined) throw bad('a boolean (true or false)')
      return value
    }
    case 'time': {
      const ms = parseDuration(text, ocfTime(spec.unit ?? 's'))
      if (ms === undefined) throw bad('a duration (e.g. 20s, 500ms)')
      return ms
    }
    case 'string':
      if (spec.choices && !spec.choices.includes(text)) throw bad(`one of ${spec.choices.join(', ')}`)
      return text
  }
}

/** The OCF_RESKEY_* values of the environment, by parameter name; an old name (alias) when the name is unset. */
export function paramsFromEnv(specs: ParamSpecs, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const value = (name: string) => (env[`OCF_RESKEY_${name}`] === '' ? undefined : env[`OCF_RESKEY_${name}`])
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, [name, ...(spec.aliases ?? [])].map(value).find((v) => v !== undefined)]))
}
