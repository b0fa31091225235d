/** The little of drbd.conf the double needs: each resource defined for this host, its minor and disk. */
import { readFileSync } from 'node:fs'

export interface ConfResource {
  name: string
  minor: number
  disk: string
}

/** the text between the brace at `open` and its partner */
function block(text: string, open: number): string {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i)
  }
  return text.slice(open + 1)
}

export function parseConf(file: string, host: string): Map<string, ConfResource> {
  const text = readFileSync(file, 'utf8').replace(/#.*$/gm, '')
  const found = new Map<string, ConfResource>()
  for (const m of text.matchAll(/\bresource\s+(\S+)\s*\{/g)) {
    const body = block(text, m.index + m[0].length - 1)
    const on = new RegExp(`\\bon\\s+${host}\\s*\\{`).exec(body)
    if (!on) continue
    const section = block(body, on.index + on[0].length - 1)
    found.set(m[1], {
      name: m[1],
      minor: Number(/\bminor\s+(\d+)/.exec(section)?.[1] ?? 0),
      disk: /\bdisk\s+(\S+?);/.exec(section)?.[1] ?? 'none',
    })
  }
  return found
}
