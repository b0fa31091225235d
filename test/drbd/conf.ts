/** The little of drbd.conf the double needs: each resource defined for this host, its minor and disk, its hosts, its fencing. */
import { readFileSync } from 'node:fs'

export type Fencing = 'dont-care' | 'resource-only' | 'resource-and-stonith'

export interface ConfHost {
  name: string
  nodeId: number
  /** `10.250.0.1:7789` */
  address: string
}

export interface ConfResource {
  name: string
  minor: number
  disk: string
  /** `fencing …;` (disk section in 8.4, net section in 9; the double takes it anywhere in the resource) */
  fencing: Fencing
  /** `handlers { fence-peer "…"; }`: a command line */
  fencePeer?: string
  /** every `on HOST { … }` section, in order */
  hosts: ConfHost[]
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
    const hosts = [...body.matchAll(/\bon\s+(\S+)\s*\{/g)].map((on, i) => {
      const section = block(body, on.index + on[0].length - 1)
      return {
        name: on[1],
        nodeId: Number(/\bnode-id\s+(\d+)/.exec(section)?.[1] ?? i),
        address: /\baddress\s+(?:ipv4\s+)?(\S+?);/.exec(section)?.[1] ?? '',
        minor: Number(/\bminor\s+(\d+)/.exec(section)?.[1] ?? 0),
        disk: /\bdisk\s+(\S+?);/.exec(section)?.[1] ?? 'none',
      }
    })
    const mine = hosts.find((h) => h.name === host)
    if (!mine) continue
    found.set(m[1], {
      name: m[1],
      minor: mine.minor,
      disk: mine.disk,
      fencing: (/\bfencing\s+([\w-]+)\s*;/.exec(body)?.[1] ?? 'dont-care') as Fencing,
      fencePeer: /\bfence-peer\s+"([^"]*)"\s*;/.exec(body)?.[1],
      hosts: hosts.map(({ name, nodeId, address }) => ({ name, nodeId, address })),
    })
  }
  return found
}
