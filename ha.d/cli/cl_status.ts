/**
 * cl_status, with Heartbeat's sub-commands, options, words and exit codes, answered from the running
 * engine's status. Scripts that parse cl_status output keep working.
 */
import { HaloError, UsageError } from '../../lib/errors.ts'
import { ask, type EngineStatus } from '../control.ts'

export const usage = `Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
hblinkstatus <node-name> <link-name>
hbstatus [-v]
listnodes [-p|-n|-v]
listhblinks <node-name> [-v]
nodestatus <node-name>
nodeweight <node-name>
nodesite <node-name>
nodetype <node-name>
rscstatus [-v]
hbparameter -p <parameter-name>
fencestatus [-v]            (halo: the fence devices and the last fences)`

type Out = (line: string) => void

async function engineStatus(): Promise<EngineStatus | undefined> {
  const answer = await ask({ op: 'status' })
  if (answer === undefined) return undefined
  if (!answer.ok || !answer.status) throw new HaloError(1, answer.ok ? 'the engine sent no status' : answer.error)
  return answer.status
}

export async function clStatus(argv: readonly string[], out: Out): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === '-h' || sub === '--help') {
    out(usage)
    return 0
  }
  const verbose = rest.includes('-v')
  const words = rest.filter((a) => !a.startsWith('-'))
  const known = ['clientstatus', 'hblinkstatus', 'hbstatus', 'listnodes', 'listhblinks', 'nodestatus', 'nodeweight', 'nodesite', 'nodetype', 'rscstatus', 'hbparameter', 'fencestatus']
  if (!known.includes(sub)) throw new HaloError(11, `${sub}: invalid sub-command.`)

  const status = await engineStatus()
  if (sub === 'hbstatus') {
    out(status ? 'Heartbeat is running on this machine.' : 'Heartbeat is stopped on this machine.')
    if (status && verbose) listNodes(status, ['-v'], out)
    return status ? 0 : 1
  }
  if (!status) throw new HaloError(1, 'Cannot signon with heartbeat: it is not running on this machine')

  const node = (i: number) => {
    const name = words[i]
    if (name === undefined) throw new UsageError(`${sub} needs a node name`, 1)
    const n = status.nodes.find((x) => x.name === name.toLowerCase())
    if (!n) throw new HaloError(1, `${name} is not a node of this cluster (ha.cf node/ping lines)`)
    return n
  }
  switch (sub) {
    case 'listnodes':
      listNodes(status, rest, out)
      return 0
    case 'nodestatus': {
      const n = node(0)
      out(verbose ? `The cluster node ${n.name} is ${n.status}` : n.status)
      return 0
    }
    case 'nodetype': {
      const n = node(0)
      out(verbose ? `The node ${n.name}'s type: ${n.type}` : n.type)
      return 0
    }
    case 'nodeweight':
      out(verbose ? `The weight of the cluster node ${node(0).name} is 100` : '100')
      return 0
    case 'nodesite':
      out(verbose ? `The site of the cluster node ${node(0).name} is ` : '')
      return 0
    case 'listhblinks': {
      const n = node(0)
      if (verbose) out('\tthis node has the following heartbeat links:')
      for (const l of n.links) out(verbose ? `\t${l.iface}\t${l.status}` : `\t${l.iface}`)
      return 0
    }
    case 'hblinkstatus': {
      const n = node(0)
      const link = n.links.find((l) => l.iface === words[1])
      if (!link) throw new HaloError(1, `Cannot get heartbeat link status: ${n.name} has no link ${words[1] ?? '(none given)'}`)
      out(verbose ? `The node ${n.name}'s heartbeat link ${link.iface} is ${link.status}` : link.status)
      return 0
    }
    case 'clientstatus':
      node(0)
      // halo's engine has no API clients (ipfail, ccm...): the question always has the same answer
      out('offline')
      return 0
    case 'rscstatus':
      out(verbose ? `This node is holding ${status.resources} resources.` : status.resources)
      return 0
    case 'hbparameter': {
      const at = rest.indexOf('-p')
      const name = at >= 0 ? rest[at + 1] : undefined
      if (!name) throw new UsageError('hbparameter needs -p <parameter-name>', 1)
      // as Heartbeat: crm is the old name of pacemaker; node, media, env and whole-line directives have no value
      const value = status.parameters[name === 'crm' ? 'pacemaker' : name]
      if (value === undefined) throw new HaloError(1, `Cannot get parameter ${name}'s value`)
      out(verbose ? `Heartbeat parameter ${name}'s value: ${value}` : value)
      return 0
    }
    case 'fencestatus':
      fenceStatus(status, verbose, out)
      return 0
  }
  return 1
}

function listNodes(status: EngineStatus, opts: readonly string[], out: Out): void {
  const nodes = status.nodes.filter((n) => (opts.includes('-p') ? n.type === 'ping' : opts.includes('-n') ? n.type === 'normal' : true))
  for (const n of nodes) {
    if (!opts.includes('-v')) {
      out(n.name)
      continue
    }
    out(`${n.name}\t${n.status}\t(nodetype: ${n.type})`)
    for (const l of n.links) out(`\t${l.iface}\t${l.status}`)
  }
}

/** One line a fence, newest last: `2026-12-03T15:00:01.123Z nodeb reset external/ipmi (ha.cf:12) ok 1153 ms`. */
function fenceStatus(status: EngineStatus, verbose: boolean, out: Out): void {
  const f = status.fencing
  if (!f) return out('fencing: none configured')
  if (verbose) {
    out(`fencing: delay ${f.delay} ms for a node that serves nothing`)
    for (const d of f.devices) out(`device ${d.type} (${d.where}): ${d.action} of ${d.targets.join(' ')}; ${d.answers === undefined ? 'not checked yet' : d.answers ? 'answers' : 'does not answer'}`)
  }
  for (const r of f.history) out(`${r.at} ${r.target} ${r.action} ${r.device}${r.where ? ` (${r.where})` : ''} ${r.ok ? 'ok' : 'failed'} ${r.ms} ms${r.said && verbose ? `: ${r.said}` : ''}`)
}
