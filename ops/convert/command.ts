/**
 * `halo convert`: the v1 pair's configuration as a Corosync + Pacemaker cluster's. With --out DIR it writes
 * DIR/corosync.conf, DIR/cib.xml (or resources.pcs / resources.crm) and DIR/not-converted.txt; without, it
 * prints them, each after a `==> NAME <==` line. Exit 0 once converted (a cluster always has something
 * for the admin in not-converted.txt); a configuration error exits as halo check's do, and writes nothing.
 */
import { mkdirSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { writeFileAtomic } from '../../lib/atomic.ts'
import type { Command } from '../../lib/cli.ts'
import { UsageError } from '../../lib/errors.ts'
import { convert, type Converted, type Target } from './convert.ts'
import type { NotConverted } from './model.ts'

const NOT_CONVERTED = 'not-converted.txt'

function notConvertedText(list: NotConverted[]): string {
  const head = list.length
    ? `# What halo convert did not carry over, or needs you: ${list.length} item(s), each with the file:line it comes from.`
    : '# halo convert carried everything over.'
  return [head, ...list.map((n) => `${n.file}${n.line ? `:${n.line}` : ''}: ${n.reason}`), ''].join('\n')
}

/** The files of a conversion, by name, in the order printed. */
export function convertedFiles(c: Converted): [string, string][] {
  return [['corosync.conf', c.corosync], [c.resources.file, c.resources.text], [NOT_CONVERTED, notConvertedText(c.notConverted)]]
}

// /usr/bin/halo is a link: the agents are beside the real file, in /usr/lib/halo/agents (dist/agents in a build)
const agentsDir = () => join(dirname(realpathSync(process.argv[1])), '..', 'agents')

export const convertCommand: Command = (cli, exit) =>
  cli.command(
    'convert',
    "write this pair's configuration (ha.cf, haresources, authkeys, fence.cf, mon.cf, DRBD's) as a Corosync + Pacemaker cluster's: corosync.conf, the resources (a CIB, pcs commands or crm shell) and not-converted.txt, what it could not carry over, with its file:line. Reads only",
    (y) =>
      y
        .option('c', { alias: 'confdir', type: 'string', default: '/etc/ha.d', describe: "Heartbeat's configuration folder", requiresArg: true })
        .option('to', { choices: ['cib', 'pcs', 'crm'] as const, default: 'cib' as const, describe: 'the resources as a CIB (cib.xml, for cibadmin or pcs cluster cib-push), pcs commands (resources.pcs) or crm shell (resources.crm)' })
        .option('nodes', { type: 'string', describe: "the new cluster's nodes, comma-separated (default: ha.cf's node lines)", requiresArg: true })
        .option('out', { type: 'string', describe: 'write the files into this folder (made if missing) instead of printing them', requiresArg: true })
        .option('drbd-conf', { type: 'string', describe: "DRBD's resource files (default /etc/drbd.d)", requiresArg: true })
        .option('mon-cf', { type: 'string', describe: 'mon.cf (default /etc/mon/mon.cf when there is one)', requiresArg: true })
        .option('root', { type: 'string', default: '/', hidden: true, describe: 'where /etc/init.d, /etc/drbd.d and /etc/mon are (tests)', requiresArg: true }),
    async (a) => {
      const nodes = a.nodes?.split(',').map((n) => n.trim().toLowerCase())
      if (nodes && nodes.some((n) => n === '')) throw new UsageError(`--nodes ${a.nodes}: write the node names comma-separated, e.g. --nodes node1,node2,node3`)
      const c = await convert({ confDir: a.c, to: a.to as Target, nodes, drbdConf: a['drbd-conf'], monCf: a['mon-cf'], root: a.root, agentsDir: agentsDir() })
      if (a.out) {
        mkdirSync(a.out, { recursive: true })
        for (const [name, text] of convertedFiles(c)) writeFileAtomic(join(a.out, name), text, name === c.resources.file && a.to === 'pcs' ? 0o755 : 0o644)
        process.stdout.write(`wrote ${convertedFiles(c).map(([name]) => join(a.out!, name)).join(', ')}${c.notConverted.length ? `; ${c.notConverted.length} item(s) not converted: read ${NOT_CONVERTED}` : ''}\n`)
      } else {
        process.stdout.write(convertedFiles(c).map(([name, text]) => `==> ${name} <==\n${text}`).join('\n'))
      }
      exit(0)
    },
  )
