/**
 * What the fuzz tests share: a seeded PRNG (so a failure found in CI is replayed with its seed) and
 * mutators for bytes and for config files. The seed is fixed unless HALO_FUZZ_SEED says otherwise, so CI
 * always tries the same inputs; HALO_FUZZ_SCALE multiplies the number of tries for a longer run by hand.
 */

/** The seed of this run: HALO_FUZZ_SEED, else a fixed one. */
export const SEED = process.env.HALO_FUZZ_SEED !== undefined ? Number(process.env.HALO_FUZZ_SEED) >>> 0 : 20261203
export const SCALE = Math.max(0.01, Number(process.env.HALO_FUZZ_SCALE ?? 1) || 1)

/** `n` tries, scaled by HALO_FUZZ_SCALE. */
export const tries = (n: number): number => Math.max(1, Math.round(n * SCALE))

/** mulberry32: small, fast, good enough to pick mutations; not for secrets. */
export class Rng {
  private state: number

  /** Each target gets its own stream, so adding tries to one does not change what another tries. */
  constructor(seed: number, target: string) {
    let h = seed >>> 0
    for (let i = 0; i < target.length; i++) h = Math.imul(h ^ target.charCodeAt(i), 0x9e3779b1) >>> 0
    this.state = h
  }

  /** [0, 1) */
  next(): number {
    let z = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296
  }

  /** an integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }
}

/** The line a fuzz test prints first, so any failure can be replayed. */
export const seedNote = (target: string) => `fuzz ${target}: seed ${SEED} (replay with HALO_FUZZ_SEED=${SEED})`

/** Values that break parsers more often than random bytes do. */
const INTERESTING = ['0', '-1', '1', '255', '256', '65535', '65536', '4294967296', '9007199254740993', '1e309', 'NaN', '0x10', '.5', '1.', '',
  ' ', '\t', '\n', '\r\n', '\\', '\\\n', '#', ',', '::', ':', '=', '"', "'", '{', '}', '-', '%%%\n', '###\n', '>>>\n', '<<<\n', '\0', '\u00e9', '\u{1f600}',
  'a'.repeat(300), '9'.repeat(40), '(1)', '(9)', '__proto__', 'constructor', 'toString', '$1', '.*', '(', '[', '*']

/** Pieces of the wire format that move a mutation past the first check. */
export const WIRE_TOKENS = ['###\n', '%%%\n', '>>>\n', '<<<\n', '(0)', '(1)', '(2)', '(4)', ':', ',', '=', '\n', '0:', '999999:', '1234567:',
  't=status', 'src=nodeb', 'seq=ffffffffffffff', 'hg=-1', 'auth=1 ', 'dest=nodea', '(1)srcuuid=', 'ttl=99999999999999999']

/** 1 to 4 byte-level changes: flips, random or interesting bytes, insertions, deletions, copies, a cut. */
export function mutateBytes(rng: Rng, input: Buffer, tokens: readonly string[] = []): Buffer {
  let b = Buffer.from(input)
  const at = () => rng.int(b.length + 1)
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const i = at()
    switch (rng.int(8)) {
      case 0:
        if (b.length > 0) b[Math.min(i, b.length - 1)] ^= 1 << rng.int(8)
        break
      case 1:
        if (b.length > 0) b[Math.min(i, b.length - 1)] = rng.int(256)
        break
      case 2:
        b = Buffer.concat([b.subarray(0, i), rng.bytes(1 + rng.int(16)), b.subarray(i)])
        break
      case 3:
        b = Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + rng.int(32)))])
        break
      case 4: {
        const from = at()
        const copy = b.subarray(from, from + 1 + rng.int(64))
        b = Buffer.concat([b.subarray(0, i), copy, b.subarray(i)])
        break
      }
      case 5:
        b = b.subarray(0, i)
        break
      case 6:
        b = Buffer.concat([b.subarray(0, i), Buffer.from(rng.pick(INTERESTING), 'latin1'), b.subarray(i)])
        break
      default:
        if (tokens.length > 0) b = Buffer.concat([b.subarray(0, i), Buffer.from(rng.pick(tokens), 'latin1'), b.subarray(i)])
    }
  }
  return b
}

/** A word of the file's language, a number, an interesting value or random letters. */
function word(rng: Rng, tokens: readonly string[]): string {
  switch (rng.int(4)) {
    case 0:
    case 1:
      return tokens.length > 0 ? rng.pick(tokens) : rng.pick(INTERESTING)
    case 2:
      return rng.pick(INTERESTING)
    default:
      return rng.bytes(1 + rng.int(12)).toString('latin1').replace(/[\s]/g, 'x')
  }
}

/** 1 to 4 changes to a config file: lines dropped, copied, swapped or made up, words replaced, bytes changed. */
export function mutateText(rng: Rng, text: string, tokens: readonly string[]): string {
  let lines = text.split('\n')
  const line = () => rng.int(lines.length)
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const i = line()
    switch (rng.int(9)) {
      case 0:
        lines.splice(i, 1)
        break
      case 1:
        lines.splice(line(), 0, lines[i])
        break
      case 2: {
        const j = line()
        ;[lines[i], lines[j]] = [lines[j], lines[i]]
        break
      }
      case 3:
      case 4: {
        // a word replaced, keeping the blanks around it
        const parts = lines[i].split(/(\s+)/)
        const words = parts.map((p, k) => (/\S/.test(p) ? k : -1)).filter((k) => k >= 0)
        if (words.length > 0) parts[rng.pick(words)] = word(rng, tokens)
        lines[i] = parts.join('')
        break
      }
      case 5:
        lines[i] = `${lines[i]}${rng.pick([' ', '\t', ',', ''])}${word(rng, tokens)}`
        break
      case 6:
        lines.splice(i, 0, Array.from({ length: 1 + rng.int(5) }, () => word(rng, tokens)).join(rng.pick([' ', '\t', ' = ', ','])))
        break
      case 7:
        lines = mutateBytes(rng, Buffer.from(lines.join('\n'), 'utf8'), tokens).toString('utf8').split('\n')
        break
      default:
        lines[i] = rng.pick(['', '#', '\\', `${lines[i]}\\`, `  ${lines[i]}`, lines[i].toUpperCase(), `${lines[i]}\r`])
    }
    if (lines.length === 0) lines = ['']
  }
  return lines.join('\n')
}
