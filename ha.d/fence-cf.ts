/**
 * /etc/ha.d/fence.cf: halo's own fencing settings, beside ha.cf. A real Heartbeat 3.0.6 node reads the same
 * ha.cf and refuses any stonith_host type that is not a cluster-glue plugin, so fence-agents' programs and
 * the two-node race delay live in this file, which Heartbeat never opens. It holds passwords: root's, 0600,
 * as authkeys.
 *
 *   delay 1s                                         a node that serves nothing waits this long before it fences
 *   device nodeb fence_ipmilan ip=10.0.1.12 username=admin password=secret lanplus=1
 */
import { existsSync, lstatSync } from 'node:fs'
import { ConfigError } from '../lib/errors.ts'
import { configLines, readConfigFile } from '../lib/config/lines.ts'
import { haCfTime, parseDuration } from '../lib/time.ts'

/** A fence-agents program that can fence one node: `device TARGET AGENT key=value…`. */
export interface FenceAgentLine {
  target: string
  agent: string
  /** key=value options for its stdin, in the order written */
  options: [string, string][]
  line: number
}

export interface FenceCf {
  file: string
  /** ms; undefined: one deadtime */
  delay?: number
  devices: FenceAgentLine[]
}

export function parseFenceCf(text: string, file: string, nodes: readonly string[]): FenceCf {
  const cf: FenceCf = { file, devices: [] }
  for (const { no, text: line } of configLines(text, 'anywhere')) {
    const [word, ...rest] = line.split(/\s+/)
    if (word === 'delay') {
      const ms = rest.length === 1 ? parseDuration(rest[0], haCfTime) : undefined
      if (ms === undefined || ms < 0) throw new ConfigError(file, no, `delay ${rest.join(' ')}: write one time, in seconds (delay 2) or ms (delay 500ms)`)
      cf.delay = ms
    } else if (word === 'device') {
      cf.devices.push(parseDevice(rest, file, no, nodes))
    } else {
      throw new ConfigError(file, no, `unknown setting "${word}": write delay TIME or device NODE fence_AGENT key=value…`)
    }
  }
  return cf
}

function parseDevice(words: readonly string[], file: string, no: number, nodes: readonly string[]): FenceAgentLine {
  const [node, agent, ...pairs] = words
  const usage = 'write device NODE fence_AGENT key=value…, e.g. device nodeb fence_ipmilan ip=10.0.1.12 username=admin password=… lanplus=1'
  if (!node || !agent) throw new ConfigError(file, no, usage)
  const target = node.toLowerCase()
  if (!nodes.includes(target)) throw new ConfigError(file, no, `node ${node} is not a node of ha.cf (${nodes.join(', ')}): fix the name or add a node line`)
  if (!/^fence_[A-Za-z0-9_]+$/.test(agent)) throw new ConfigError(file, no, `${agent} is not a fence agent: fence-agents' programs are named fence_* (fence_ipmilan, fence_redfish…); cluster-glue plugins go in ha.cf's stonith_host lines`)
  const options: [string, string][] = []
  for (const pair of pairs) {
    const m = /^([a-z_][a-z0-9_-]*)=(.*)$/.exec(pair)
    if (!m) throw new ConfigError(file, no, `${pair.includes('=') ? pair.split('=')[0] : pair}: ${usage}`)
    if (m[1] === 'action' && !['off', 'reboot'].includes(m[2])) throw new ConfigError(file, no, `action=${m[2]}: a fence is action=reboot (the default) or action=off`)
    options.push([m[1], m[2]])
  }
  return { target, agent, options, line: no }
}

/** Reads fence.cf when there is one; it must be a plain root file no one else can read (it holds passwords). */
export function readFenceCf(path: string, nodes: readonly string[]): FenceCf | undefined {
  if (!existsSync(path)) return undefined
  const st = lstatSync(path)
  if (!st.isFile()) throw new ConfigError(path, 0, 'not a plain file (a link?): write the file itself')
  if ((st.mode & 0o077) !== 0 || st.uid !== process.getuid?.()) {
    throw new ConfigError(path, 0, `it holds passwords but is mode ${(st.mode & 0o777).toString(8)}, uid ${st.uid}: run chown root ${path}; chmod 600 ${path}`)
  }
  return parseFenceCf(readConfigFile(path), path, nodes)
}
