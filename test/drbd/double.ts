/**
 * The drbdadm/drbdsetup test double, bundled as both programs (it answers to the name it is run by). Next to
 * it, double.json names the node it plays and the state directory it shares with the other node's double:
 * { "node": "alpha", "state": "/tmp/…", "conf": "/tmp/…/drbd.conf" }. Every call is appended to
 * <state>/calls.log, so a test can wait for an agent's attempt instead of sleeping.
 * Outputs and exit codes are drbd-utils 9.22's (and drbdadm-84's with an 8.4 module), from
 * reference/drbd/README.md and reference/drbd/drbdadm_without_module.txt; the state checks are the
 * kernel's (drbd_state.c is_valid_state), the fence-peer call is in fence.ts.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { type ConfResource, parseConf } from './conf.ts'
import { fencePeer, kernLog, peerOutdated } from './fence.ts'
import { events2, shStatus, statusJson, statusText } from './output.ts'
import { loadCluster, loadResource, saveResource, view, type Resource } from './state.ts'

const program = basename(process.argv[1])
const args = process.argv.slice(2)
const me = JSON.parse(readFileSync(join(dirname(process.argv[1]), 'double.json'), 'utf8')) as { node: string; state: string; conf: string }
const cluster = loadCluster(me.state)
const node = cluster.nodes[me.node]
appendFileSync(join(me.state, 'calls.log'), `${me.node} ${program} ${args.join(' ')}\n`)
/** drbdadm -c FILE, else the node's own drbd.conf */
const confFile = program === 'drbdadm' && args.includes('-c') ? args[args.indexOf('-c') + 1] : me.conf

const out = (text: string) => process.stdout.write(text)
const err = (text: string) => process.stderr.write(text)

function exit(code: number): never {
  process.exit(code)
}

// reference/drbd/drbdadm_without_module.txt: every drbdadm call there begins with these lines on stderr
const modinfoNoise = () => err('sh: 1: modinfo: not found\nsh: 1: modinfo: not found\n')
const noModule = () => err('sh: 1: /sbin/modprobe: not found\nFailed to modprobe drbd (No such file or directory)\n')

/** drbdadm's report of a failed drbdsetup (8.4: drbdsetup-84 with the minor) */
function failed(command: string, r: Resource, code: number): never {
  const target = node.version === '9' ? r.name : String(r.minor)
  err(`Command '${node.version === '9' ? 'drbdsetup' : 'drbdsetup-84'} ${command} ${target}' terminated with exit code ${code}\n`)
  exit(code)
}

function stateChangeFailed(r: Resource, why: string, command: string, code: number): never {
  err(`${node.version === '9' ? r.name : r.minor}: State change failed: ${why}\n`)
  failed(command, r, code)
}

/** drbdadm outdate: only a disk that is not needed (Secondary, apart from its peer) and was good goes Outdated. */
function outdate(r: Resource): void {
  const mine = r.nodes[me.node]
  // a resource that is down: drbdadm marks the meta-data through drbdmeta
  if (!mine.up || mine.disk === 'Outdated') {
    if (mine.disk === 'UpToDate' || mine.disk === 'Consistent') mine.disk = 'Outdated'
    return
  }
  if (mine.disk === 'Diskless') stateChangeFailed(r, '(-11) Device is diskless, the requested operation requires a disk', 'outdate', 11)
  // drbdsetup's exit codes here are what dopd and fence-peer handlers read: 17 Primary, 5 Inconsistent
  if (mine.disk === 'Inconsistent') stateChangeFailed(r, '(-16) Disk state is lower than outdated', 'outdate', 5)
  if (r.connected) stateChangeFailed(r, '(-6) Refusing to be Outdated while Connected', 'outdate', 11)
  if (mine.role === 'Primary') stateChangeFailed(r, '(-2) Need access to UpToDate data', 'outdate', 17)
  kernLog(cluster, me.node, r, [`disk( ${mine.disk} -> Outdated )`])
  mine.disk = 'Outdated'
}

/**
 * drbdadm primary. Apart from its peer under `fencing resource-only|resource-and-stonith`, a node becomes
 * Primary only once its peer's disk is known to be Outdated: the kernel asks the fence-peer handler first.
 */
function primary(r: Resource, res: ConfResource, force: boolean): void {
  let mine = r.nodes[me.node]
  let v = view(cluster, r, me.node)
  if (v.peerRole === 'Primary') stateChangeFailed(r, '(-1) Multiple primaries not allowed by config', 'primary', 17)
  if (force) {
    if (mine.disk !== 'Diskless') mine.disk = 'UpToDate'
    // the first `primary --force` after create-md: the connected peer syncs from this node (at once, here)
    const peer = r.nodes[Object.keys(r.nodes).find((n) => n !== me.node)!]
    if (r.connected && peer.disk === 'Inconsistent') peer.disk = 'UpToDate'
  } else if (v.disk !== 'UpToDate' && v.peerDisk !== 'UpToDate') {
    stateChangeFailed(r, '(-2) Need access to UpToDate data', 'primary', 17)
  }
  if (res.fencing !== 'dont-care' && !r.connected && !peerOutdated(r, me.node)) {
    saveResource(cluster, r)
    Object.assign(r, fencePeer(cluster, me.node, res, confFile).r)
    mine = r.nodes[me.node]
    v = view(cluster, r, me.node)
    // 6: the peer is Primary and this node outdated itself
    if (mine.disk !== 'UpToDate') stateChangeFailed(r, '(-2) Need access to UpToDate data', 'primary', 17)
    if (!peerOutdated(r, me.node)) {
      if (!force) stateChangeFailed(r, '(-7) Refusing to be Primary while peer is not outdated', 'primary', 11)
      kernLog(cluster, me.node, r, ['Forced into split brain situation!'])
      mine.pdsk = 'Outdated'
    }
  }
  mine.role = 'Primary'
}

function change(r: Resource, res: ConfResource, command: string, flags: readonly string[]): void {
  const mine = r.nodes[me.node]
  const notUp = () => {
    err(`${r.name}: No such resource\n`)
    failed(command, r, 10)
  }
  switch (command) {
    case 'up':
      if (mine.up) {
        err(`${r.name}: Failure: (161) Minor or volume exists already (delete it first)\n`)
        failed(`new-minor ${r.name} ${r.minor}`, r, 10)
      }
      Object.assign(mine, { up: true, role: 'Secondary', standalone: false })
      return
    case 'down':
      if (!mine.up) return
      if (mine.open > 0) stateChangeFailed(r, '(-12) Device is held open by someone', 'down', 11)
      Object.assign(mine, { up: false, role: 'Secondary' })
      delete mine.pdsk
      return
    case 'primary':
      if (!mine.up) notUp()
      if (mine.role !== 'Primary') primary(r, res, flags.includes('--force'))
      return
    case 'outdate':
      return outdate(r)
    case 'secondary':
      if (!mine.up) notUp()
      if (mine.open > 0) {
        err(`${r.name}: State change failed: (-12) Device is held open by someone\nadditional info from kernel:\nfailed to demote\n`)
        failed('secondary', r, 11)
      }
      mine.role = 'Secondary'
      return
    case 'connect':
      if (!mine.up) notUp()
      Object.assign(mine, { standalone: false, discard: flags.includes('--discard-my-data') })
      return
    case 'disconnect':
      if (!mine.up) notUp()
      mine.standalone = true
      return
  }
}

/** `drbdadm status [RES]` (9.x): each resource's text block, or the error of the first that is down. */
function drbdadmStatus(names: readonly string[], named?: string): never {
  if (!node.module) {
    noModule()
    err(`Command 'drbdsetup status${named ? ` ${named}` : ''}' terminated with exit code 20\n`)
    exit(20)
  }
  for (const n of names) {
    const r = loadResource(cluster, n)
    const v = r && view(cluster, r, me.node)
    if (!r || !v?.up) {
      err(`${n}: No such resource\n`)
      exit(10)
    }
    out(statusText(r, v, Object.keys(r.nodes).find((x) => x !== me.node)!))
  }
  exit(0)
}

function drbdadm(): never {
  const rest = args.filter((a, i) => a !== '-c' && args[i - 1] !== '-c')
  const [command, ...operands] = rest
  const flags = operands.filter((a) => a.startsWith('--'))
  const name = operands.find((a) => !a.startsWith('-'))
  if (!node.module) modinfoNoise()
  if (command === '--version') {
    // reference/drbd/drbdadm_without_module.txt "### drbdadm --version"; with a module, its version
    const kernel = node.module ? (node.version === '9' ? ['0x090200', '9.2.0'] : ['0x08040b', '8.4.11']) : ['0x000000', '0']
    out(`DRBDADM_BUILDTAG=GIT-hash:\\ 409097fe02187f83790b88ac3e0d94f3c167adab\\ reproducible\\ build\\,\\ 2023-01-09\\ 14:51:18\nDRBDADM_API_VERSION=2\nDRBD_KERNEL_VERSION_CODE=${kernel[0]}\nDRBD_KERNEL_VERSION=${kernel[1]}\nDRBDADM_VERSION_CODE=0x091600\nDRBDADM_VERSION=9.22.0\n`)
    exit(0)
  }
  const defined = parseConf(confFile, me.node)
  if (defined.size === 0) {
    err('no resources defined!\n')
    exit(1)
  }
  if (command === 'sh-resources') {
    out(`${[...defined.keys()].join(' ')}\n`)
    exit(0)
  }
  if (command === 'status' && node.version === '9') drbdadmStatus(name === undefined ? [...defined.keys()] : [name], name)
  const res = name === undefined ? undefined : defined.get(name)
  if (name === undefined || res === undefined) {
    // reference: "### drbdadm -c ./drbd/drbd.conf role nosuch" (rc=1)
    err(`'${name ?? ''}' not defined in your config (for this host).\n`)
    exit(1)
  }
  if (command === 'sh-dev') return void out(`/dev/drbd${res.minor}\n`), exit(0)
  if (command === 'sh-minor') return void out(`${res.minor}\n`), exit(0)
  if (command === 'sh-ll-dev' || command === 'sh-md-dev') return void out(`${res.disk}\n`), exit(0)
  const r = loadResource(cluster, res.name)!
  // drbdmeta's job, no module needed: fresh meta-data, so the disk is Inconsistent until a sync or a forced primary
  if (command === 'create-md') {
    const mine = r.nodes[me.node]
    if (mine.up) {
      err(`Device '${res.minor}' is configured!\nCommand 'drbdmeta ${res.minor} v09 ${res.disk} internal create-md 1' terminated with exit code 20\n`)
      exit(20)
    }
    Object.assign(mine, { disk: 'Inconsistent', diverged: false, discard: false })
    delete mine.pdsk
    saveResource(cluster, r)
    out('initializing activity log\ninitializing bitmap (32 KB) to all zero\nWriting meta data...\nNew drbd meta data block successfully created.\n')
    exit(0)
  }
  if (!node.module) {
    // reference: role/cstate/status/primary exit 20 naming the drbdsetup command; secondary/down exit 0
    if (command === 'dstate') {
      err(`${res.disk} is only 0 bytes. That's not enough.\nCommand 'drbdmeta ${res.minor} v09 ${res.disk} internal dstate' terminated with exit code 10\n`)
      exit(10)
    }
    noModule()
    if (command === 'secondary' || command === 'down') exit(0)
    const setup = { cstate: `cstate ${res.name} 1`, up: `new-resource ${res.name} 0` }[command as 'cstate' | 'up'] ?? `${command} ${res.name}`
    err(`Command 'drbdsetup ${setup}' terminated with exit code 20\n`)
    exit(20)
  }
  // the kernel's call when this Primary lost its peer (the pair's cutLink): the handler's exit code
  if (command === 'fence-peer') exit(fencePeer(cluster, me.node, res, confFile).code ?? 1)
  const v = view(cluster, r, me.node)
  const show = (text: string) => {
    if (!v.up && node.version === '9') {
      err(`${r.name}: No such resource\n`)
      failed(command, r, 10)
    }
    out(`${text}\n`)
    exit(0)
  }
  switch (command) {
    case 'role':
      // 8.4: local/peer, or Unconfigured
      return show(node.version === '9' ? v.role : v.up ? `${v.role}/${v.peerRole}` : 'Unconfigured')
    case 'cstate':
      return show(v.up ? v.cstate : 'Unconfigured')
    case 'dstate':
      return show(v.up ? `${v.disk}/${v.peerDisk}` : 'Unconfigured')
  }
  if (!['up', 'down', 'primary', 'secondary', 'connect', 'disconnect', 'outdate'].includes(command)) {
    err(`drbdadm: Unknown command '${command}'\n`)
    exit(20)
  }
  change(r, res, command, flags)
  saveResource(cluster, r)
  exit(0)
}

function drbdsetup(): never {
  const [command, ...operands] = args
  const name = operands.find((a) => !a.startsWith('-'))!
  if (!node.module) {
    if (node.version === '8.4') err('sh: 1: /sbin/modprobe: not found\nCould not stat /proc/drbd: No such file or directory\nMake sure that the DRBD kernel module is installed and can be loaded!\n')
    else noModule()
    exit(20)
  }
  const r = loadResource(cluster, name)
  const v = r && view(cluster, r, me.node)
  if (command === 'events2' && node.version === '9') return void out(r && v ? events2(r, v) : 'exists -\n'), exit(0)
  if (!r || !v || (!v.up && node.version === '9')) {
    err(`${name}: No such resource\n`)
    exit(10)
  }
  if (command === 'status' && operands.includes('--json')) return void out(statusJson(r, v, Object.keys(r.nodes).indexOf(me.node))), exit(0)
  if (command === 'sh-status') return void out(shStatus(r, v)), exit(0)
  if (command === 'role') return void out(`${node.version === '9' ? v.role : `${v.role}/${v.peerRole}`}\n`), exit(0)
  err(`drbdsetup: unknown command '${command}'\n`)
  exit(20)
}

if (program === 'drbdadm') drbdadm()
else drbdsetup()
