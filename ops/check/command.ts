/**
 * `halo check`: crm_verify for the v1 pair. Every error and warning of ha.cf, haresources, authkeys,
 * fence.cf, mon.cf (and auth.cf) with its file:line, through the daemons' own readings, then what no one
 * file says alone: the resources' scripts and arguments, the timers against DRBD's, the group's ports
 * watched by mon, what starts at boot outside the cluster, fencing; with --peer, the files against the
 * peer's (./peer.ts). Exit codes as crm_verify's: 78 on an error, 0 otherwise (warnings included); with
 * --peer, 69 (CRM_EX_UNAVAILABLE) when the peer could not be asked and nothing else is an error.
 */
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Command } from '../../lib/cli.ts'
import { UsageError } from '../../lib/errors.ts'
import { controlSocket } from '../../ha.d/control.ts'
import { scriptCandidates } from '../../ha.d/config/haresources.ts'
import { checkBoot } from './boot.ts'
import { checkDrbd } from './drbd.ts'
import { Findings, report } from './findings.ts'
import { checkHaFiles } from './hacf.ts'
import { checkMonCf, checkWatchedPorts } from './mon.ts'
import { checkPeer } from './peer.ts'
import { checkResources, type Places } from './resources.ts'

export interface CheckOptions extends Places {
  /** mon.cf; undefined: /etc/mon/mon.cf when there is one */
  monCf?: string
}

export async function check(o: CheckOptions): Promise<Findings> {
  const f = new Findings()
  const haresources = join(o.confDir, 'haresources')
  const settings = await checkHaFiles(f, o.confDir)
  const monCf = o.monCf ?? [join(o.root, 'etc/mon/mon.cf')].find((p) => existsSync(p))
  const mon = monCf === undefined ? undefined : await checkMonCf(f, monCf)
  if (settings) {
    await checkResources(f, settings, o)
    checkDrbd(f, settings, o.root)
    if (mon && monCf) checkWatchedPorts(f, settings, mon, monCf, haresources)
  }
  // the init scripts haresources runs: names not in resource.d, found in init.d
  const services = (settings?.config.groups ?? []).flatMap((g) =>
    g.resources.map((r) => r.script).filter((s) => {
      const [resourceD, initD] = scriptCandidates(s, o.confDir, join(o.root, 'etc/init.d'))
      return !existsSync(resourceD) && existsSync(initD)
    }),
  )
  checkBoot(f, o.root, services, haresources)
  return f
}

/** Pacemaker's CRM_EX_UNAVAILABLE (sysexits' EX_UNAVAILABLE) */
const EXIT_UNAVAILABLE = 69

// /usr/bin/halo is a link: the agents are beside the real file, in /usr/lib/halo/agents (dist/agents in a build)
const agentsDir = () => join(dirname(realpathSync(process.argv[1])), '..', 'agents')

export const checkCommand: Command = (cli, exit) =>
  cli.command(
    'check',
    "check this node's cluster configuration as crm_verify does Pacemaker's: ha.cf, haresources, authkeys, fence.cf, mon.cf and what they need of this host; every error and warning with its file:line. Exit 78 on an error, else 0",
    (y) =>
      y
        .option('c', { alias: 'confdir', type: 'string', default: '/etc/ha.d', describe: "Heartbeat's configuration folder", requiresArg: true })
        .option('mon', { type: 'string', describe: 'mon.cf (default /etc/mon/mon.cf when there is one)', requiresArg: true })
        .option('peer', { type: 'boolean', default: false, describe: "also compare ha.cf, haresources, authkeys (by digest), mon.cf and DRBD's resource files with the peer's, through the running engines" })
        .option('timeout', { type: 'number', default: 5, describe: 'seconds to wait for the peer (--peer)', requiresArg: true })
        .option('root', { type: 'string', default: '/', hidden: true, describe: 'where /etc/init.d, /etc/drbd.d, /etc/mon and /etc/systemd/system are (tests)', requiresArg: true }),
    async (a) => {
      if (!(a.timeout > 0 && a.timeout <= 60)) throw new UsageError(`--timeout ${a.timeout}: give seconds, more than 0 and at most 60`)
      const f = await check({ confDir: a.c, monCf: a.mon, root: a.root, agentsDir: agentsDir() })
      const out = (line: string) => void process.stdout.write(`${line}\n`)
      const files = { confDir: a.c, monCf: a.mon ?? join(a.root, 'etc/mon/mon.cf'), drbdDir: join(a.root, 'etc/drbd.d') }
      const unreachable = a.peer ? await checkPeer(f, files, controlSocket(), a.timeout * 1000) : undefined
      const code = report(f, out)
      if (unreachable) out(`The peer's files were not compared: ${unreachable}`)
      exit(code === 0 && unreachable ? EXIT_UNAVAILABLE : code)
    },
  )
