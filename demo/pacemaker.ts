/**
 * A Corosync + Pacemaker cluster of three virtual nodes (demo/node.ts), the real corosync 3 and pacemakerd
 * 2.1 from Debian run as the nodes' programs (never through systemd, whose units stay masked): the other
 * engine a site moves to past two nodes, for the tests and the benchmark that run halo's converted
 * configuration on it. Each node has three links:
 *   eth0  10.0.0.N/24    the cluster link (knet), a bridge of its own
 *   eth1  192.0.2.N/24   the service network, whose bridge is the client's namespace (192.0.2.100)
 *   eth2  10.0.9.1N/24   the management LAN, with the node's BMC (ipmi_sim, demo/bmc.ts) at 10.0.9.N
 * A node's own /etc/corosync (corosync.conf, and an authkey made for this cluster: never logged),
 * /var/lib/corosync, /var/lib/pacemaker, /var/log and /dev/shm (libqb's IPC) come with demo/node.ts. Every
 * power-on (a BMC's included: fence_ipmilan's reboot) starts corosync, then pacemakerd once corosync answers.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Builder, parseStringPromise } from 'xml2js'
import { runOk, type RunOptions } from '../lib/exec.ts'
import { until } from '../lib/wait.ts'
import { type Bmc, managementLan, plugIn, startBmc } from './bmc.ts'
import { netns } from './netns.ts'
import { VirtualNode } from './node.ts'
import { type ClusterStatus, parseCrmMon } from './pacemaker-status.ts'
import { reapArgv } from './reap.ts'
import { type Scope, atEnd } from './scope.ts'

export const PCMK_NODES = [1, 2, 3].map((n) => ({
  name: `node${n}`,
  cluster: `10.0.0.${n}`,
  service: `192.0.2.${n}`,
  management: `10.0.9.${10 + n}`,
  bmc: `10.0.9.${n}`,
}))
const SERVICE_CLIENT = '192.0.2.100'
/** the service network's router (the example's ping node) */
const SERVICE_ROUTER = '192.0.2.254'

/** corosync's own directories and Pacemaker's state, each node's own (/var/log and /run already are) */
const OWN_DIRS = ['etc/corosync', 'var/lib/corosync', 'var/lib/pacemaker']
/** where Pacemaker finds ocf:halo:* */
const OCF_HALO = 'usr/lib/ocf/resource.d/halo'

/**
 * From power on to the cluster stack's start. A server's firmware and OS take a minute or more; a virtual
 * node fenced by a reboot would be back before its fencer had even reported, and the group it held would
 * go straight back to it: as demo/stack.ts, the lab gives a boot some seconds.
 */
const BOOT_SECONDS = 4
/**
 * The node's command at every power-on: Pacemaker's directories as the package makes them, corosync, and
 * pacemakerd once corosync answers (bounded: 30 s). Both log to files in the node's /var/log, not syslog.
 */
const BOOT = `set -eu
sleep ${BOOT_SECONDS}
for d in cib pengine blackbox cores; do mkdir -p /var/lib/pacemaker/$d; done
mkdir -p /var/log/pacemaker /var/log/corosync /run/crm
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker
chmod 750 /var/lib/pacemaker/*
corosync -f &
for i in $(seq 300); do
  if corosync-cfgtool -s >/dev/null 2>&1; then exec pacemakerd; fi
  sleep 0.1
done
echo "corosync did not answer in 30 s" >&2
exit 1`

/** The lab's own corosync.conf (when no converted one is given): knet on eth0, token 1000 ms, encrypted with the authkey. */
function labCorosyncConf(): string {
  return `totem {
  version: 2
  cluster_name: halo-lab
  transport: knet
  token: 1000
  crypto_cipher: aes256
  crypto_hash: sha256
}
nodelist {
${PCMK_NODES.map((n, i) => `  node {\n    name: ${n.name}\n    nodeid: ${i + 1}\n    ring0_addr: ${n.cluster}\n  }`).join('\n')}
}
quorum {
  provider: corosync_votequorum
}
logging {
  to_logfile: yes
  logfile: /var/log/corosync/corosync.log
  to_syslog: no
  timestamp: on
}
`
}

export interface PacemakerOptions {
  /** corosync.conf for every node (halo convert's); default the lab's own */
  corosyncConf?: string
  /** a folder of halo's agents (dist/agents) each node serves as ocf:halo:* (default: what is installed) */
  agents?: string
}

export interface PcmkNode {
  name: string
  vm: VirtualNode
  /** its BMC: what a fence device names (address, user, password) */
  bmc: Bmc
  /** runs a program inside the node; its stdout (throws on failure) */
  exec(argv: readonly string[], opts?: RunOptions): Promise<string>
  /** crm_mon's view from this node */
  status(): Promise<ClusterStatus>
  /** corosync's and Pacemaker's logs and the node's console */
  logs(): string
}

export interface PacemakerCluster {
  nodes: PcmkNode[]
  node(name: string): PcmkNode
  /** the client's network namespace, the service network's switch */
  client: string
  /** resolves once a powered node sees every node online and a quorate DC */
  formed(ms?: number): Promise<ClusterStatus>
  /** waits until `what` holds of the status seen from a powered node; returns that status */
  until(what: string, ok: (s: ClusterStatus) => boolean, ms?: number): Promise<ClusterStatus>
  /** resolves once the DC's controller is idle (S_IDLE: no transition running) */
  idle(ms?: number): Promise<void>
  /** replaces the CIB's configuration with that of `xml`, a whole <cib> (cibadmin --replace --scope configuration) */
  pushCib(xml: string, via?: PcmkNode): Promise<void>
}

/** Builds the cluster and powers every node on; all of it undone when the scope ends. */
export async function pacemakerCluster(scope: Scope, opts: PacemakerOptions = {}): Promise<PacemakerCluster> {
  const root = mkdtempSync(join(tmpdir(), 'halo-pcmk-'))
  atEnd(scope, ['rm', '-rf', '--one-file-system', root])
  const [clusterLink, client, lan] = [await netns(scope, 'hpc'), await netns(scope, 'hpc'), await netns(scope, 'hpc')]
  for (const bridge of [clusterLink, client, lan]) await managementLan(bridge)
  await runOk(['ip', '-n', client, 'addr', 'add', `${SERVICE_CLIENT}/24`, 'dev', 'br0'])
  await runOk(['ip', '-n', client, 'addr', 'add', `${SERVICE_ROUTER}/24`, 'dev', 'br0'])

  const conf = opts.corosyncConf ?? labCorosyncConf()
  // one key for the whole cluster, made now: only in each node's /etc/corosync (root's, 0400)
  const authkey = randomBytes(256)
  const nodes: PcmkNode[] = []
  for (const spec of PCMK_NODES) {
    const ns = await netns(scope, 'hpc')
    for (const [bridge, ifname] of [[clusterLink, 'eth0'], [client, 'eth1'], [lan, 'eth2']] as const) await plugIn(bridge, ns, ifname)
    const dir = join(root, spec.name)
    const etc = join(dir, 'etc/corosync')
    mkdirSync(etc, { recursive: true })
    writeFileSync(join(etc, 'corosync.conf'), conf)
    writeFileSync(join(etc, 'authkey'), authkey, { mode: 0o400 })
    if (opts.agents) {
      const ocf = join(dir, OCF_HALO)
      mkdirSync(ocf, { recursive: true })
      for (const agent of readdirSync(opts.agents)) symlinkSync(join(opts.agents, agent), join(ocf, agent))
    }
    const vm = new VirtualNode(
      {
        name: spec.name,
        netns: ns,
        dir,
        addresses: { eth0: `${spec.cluster}/24`, eth1: `${spec.service}/24`, eth2: `${spec.management}/24` },
        command: ['env', 'PCMK_logfacility=none', 'bash', '-c', BOOT],
        ownDirs: opts.agents ? [...OWN_DIRS, OCF_HALO] : OWN_DIRS,
      },
      scope,
    )
    const bmc = await startBmc(scope, { lan, address: spec.bmc, node: vm })
    // also when the test process is killed: ipmi_sim names its directory
    atEnd(scope, reapArgv(bmc.dir))
    const read = (path: string) => (existsSync(join(dir, path)) ? readFileSync(join(dir, path), 'utf8') : '')
    const node: PcmkNode = {
      name: spec.name,
      vm,
      bmc,
      exec: (argv, o) => runOk(vm.enter(argv), { timeout: 30_000, ...o }),
      status: async () => parseCrmMon(await node.exec(['crm_mon', '--output-as=xml', '--include=all'])),
      logs: () => ['console', 'var/log/corosync/corosync.log', 'var/log/pacemaker/pacemaker.log'].map((f) => `== ${spec.name}: ${f}\n${read(f)}`).join('\n'),
    }
    nodes.push(node)
    // a failed scenario is read from the cluster's logs: shown before the files go (teardowns run last first)
    scope.teardown(() => {
      if (scope.passing?.() === false) scope.comment?.(node.logs())
    })
  }
  await Promise.all(nodes.map((n) => n.vm.boot()))

  const powered = () => {
    const up = nodes.find((n) => n.vm.up)
    if (!up) throw new Error('every node of the cluster is powered off')
    return up
  }
  const cluster: PacemakerCluster = {
    nodes,
    client,
    node: (name) => {
      const n = nodes.find((x) => x.name === name)
      if (!n) throw new Error(`no node ${name} in this cluster`)
      return n
    },
    async until(what, ok, ms = 60_000) {
      let last: ClusterStatus | undefined
      let why = ''
      try {
        await until(
          what,
          async () => {
            // crm_mon answers an error while the node's daemons start: not yet
            last = await powered()
              .status()
              .catch((e: Error) => ((why = e.message), undefined))
            return last !== undefined && ok(last)
          },
          ms,
        )
      } catch (e) {
        throw new Error(`${(e as Error).message}; last seen: ${last ? JSON.stringify(last) : why}`)
      }
      return last!
    },
    formed: (ms = 90_000) =>
      cluster.until('every node online in a quorate cluster', (s) => s.quorate && s.dc !== undefined && PCMK_NODES.every((p) => s.nodes.some((n) => n.name === p.name && n.online)), ms),
    async idle(ms = 60_000) {
      await until(
        "the DC's controller to be idle",
        async () => {
          const dc = (await powered().status().catch(() => undefined))?.dc
          if (!dc) return false
          const answer = await powered().exec(['crmadmin', '--status', dc]).catch(() => '')
          return answer.includes('S_IDLE')
        },
        ms,
      )
    },
    async pushCib(xml, via = powered()) {
      // the configuration section only: the live CIB's version is newer than a file's made elsewhere
      // (halo convert writes epoch 1), and Pacemaker bumps it on a section's replace
      const doc = (await parseStringPromise(xml)) as { cib?: { configuration?: unknown[] } }
      const configuration = doc.cib?.configuration?.[0]
      if (!configuration) throw new Error('pushCib: not a CIB (no <cib><configuration>)')
      // through a file (root's, 0600): the CIB may hold fence devices' passwords, which never go in an argv
      const file = join(via.vm.dir, 'cib-push.xml')
      writeFileSync(file, new Builder({ headless: true, rootName: 'configuration' }).buildObject(configuration), { mode: 0o600 })
      try {
        await via.exec(['cibadmin', '--replace', '--scope', 'configuration', '--xml-file', file])
      } finally {
        rmSync(file, { force: true })
      }
    },
  }
  return cluster
}
