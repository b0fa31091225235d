/**
 * The converted cluster, as Pacemaker sees it, before it is written as a CIB, pcs commands or crm shell:
 * one model, three writers, so the three say the same thing.
 */

export type Pairs = [string, string][]

export interface Op {
  name: string
  interval: string
  timeout: string
  role?: 'Promoted' | 'Unpromoted'
}

export interface Primitive {
  id: string
  class: 'ocf' | 'lsb' | 'stonith'
  provider?: string
  type: string
  params: Pairs
  ops: Op[]
  meta: Pairs
}

export interface Group {
  id: string
  members: Primitive[]
}

export interface Clone {
  id: string
  primitive: Primitive
  promotable: boolean
  meta: Pairs
}

/** a rule expression: `attribute op value`, or defined/not_defined without a value */
export interface Expression {
  attribute: string
  operation: 'defined' | 'not_defined' | 'lte' | 'gt'
  value?: string
}

export interface Rule {
  /** a score, or the node attribute whose value is the score */
  score?: string
  scoreAttribute?: string
  booleanOp?: 'or' | 'and'
  expressions: Expression[]
}

export type Constraint =
  | { kind: 'location'; id: string; rsc: string; node: string; score: string }
  | { kind: 'location-rule'; id: string; rsc: string; rules: Rule[] }
  | { kind: 'colocation'; id: string; rsc: string; withRsc: string; withRole?: 'Promoted'; score: string }
  | { kind: 'order'; id: string; first: string; firstAction?: 'promote' | 'start'; then: string; thenAction?: 'start'; orderKind: 'Mandatory' }

/** Something of the v1 cluster that is not in the output, or needs the admin: where it was written and why. */
export interface NotConverted {
  file: string
  line: number
  reason: string
}

export interface Cluster {
  nodes: string[]
  /** stand-alone primitives: the fence devices */
  primitives: Primitive[]
  groups: Group[]
  clones: Clone[]
  constraints: Constraint[]
  /** cluster options (crm_config) */
  properties: Pairs
  /** resource defaults (rsc_defaults) */
  rscDefaults: Pairs
}

/** A CIB id (an XML ID): letters, digits, `-`, `_` and `.`, starting with a letter. */
export function cibId(...parts: string[]): string {
  const id = parts.join('-').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '')
  return /^[A-Za-z_]/.test(id) ? id : `r-${id}`
}

/** A maker of ids unique among those it made: the second `ip` is `ip-2`. */
export function uniqueIds(): (id: string) => string {
  const used = new Set<string>()
  return (id) => {
    let n = 1
    let candidate = id
    while (used.has(candidate)) candidate = `${id}-${++n}`
    used.add(candidate)
    return candidate
  }
}
