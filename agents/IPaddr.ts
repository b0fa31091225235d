/**
 * IPaddr (also installed as IPaddr2): a virtual IPv4 or IPv6 address that follows the service, with the
 * parameters of resource-agents' IPaddr2. start puts the address on the interface, brings the link up and
 * announces the address; monitor says running only when the address is there AND its link is up with
 * carrier; stop ends the announcements and takes the address off.
 * haresources: `IPaddr::10.0.0.5/24/eth0:vip/10.0.0.255`, or just `10.0.0.5`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { HaloError } from '../lib/errors.ts'
import { describeFailure, run, runOk } from '../lib/exec.ts'
import { holdersOf, linkOf, localHolders, type Link } from '../lib/netif.ts'
import { formatIP } from '../lib/net.ts'
import { OCF } from '../lib/ocf/codes.ts'
import { runAgent } from '../lib/ocf/run.ts'
import { defineAgent, type ActionContext } from '../lib/ocf/spec.ts'
import { ours, place, virtualIP, type Placement, type VirtualIP } from './IPaddr/address.ts'
import { announce, announcerArgv, checkAnnouncer, dadCleared, stopAnnouncing, type ArpSender } from './IPaddr/announce.ts'

const parameters = {
  ip: { type: 'string', required: true, unique: true, shortdesc: 'the virtual IPv4 or IPv6 address', longdesc: 'IPv4 (10.0.0.5) or IPv6 in any spelling (2001:DB8:0::5 is 2001:db8::5).' },
  nic: {
    type: 'string',
    shortdesc: 'interface to put it on (eth0, or eth0:label)',
    longdesc: 'Default: the interface whose connected network holds the address (ip route list match). Required for a link-local IPv6 address.',
  },
  cidr_netmask: {
    type: 'string',
    aliases: ['netmask'], // IPaddr2 has long taken `netmask` as an old name of cidr_netmask
    shortdesc: 'prefix length (24, 64) or IPv4 netmask',
    longdesc: 'Default: the prefix of the connected network holding the address. 255.255.255.0 is taken as 24.',
  },
  broadcast: { type: 'string', shortdesc: 'IPv4 broadcast address, + to compute, - for none', longdesc: 'Default: computed from the prefix (none for /31 and /32).' },
  iflabel: { type: 'string', shortdesc: 'IPv4 label: the address shows as NIC:LABEL', longdesc: 'Shown by ifconfig as an alias interface; NIC:LABEL is at most 15 characters.' },
  arp_interval: { type: 'integer', default: 200, shortdesc: 'ms between announcements', longdesc: 'Milliseconds between gratuitous ARPs (IPv4) or unsolicited neighbour advertisements (IPv6). iputils arping rounds it up to whole seconds.' },
  arp_count: { type: 'integer', default: 5, shortdesc: 'number of announcements', longdesc: 'How many gratuitous ARPs (send_arp: request and reply pairs) or unsolicited neighbour advertisements start sends.' },
  arp_bg: { type: 'boolean', default: true, shortdesc: 'announce in the background', longdesc: 'true: start returns at once and the announcer runs on (stop ends it); false: start waits for the announcements.' },
  arp_sender: {
    type: 'string',
    default: 'send_arp',
    choices: ['send_arp', 'iputils_arping'],
    shortdesc: 'IPv4 announcer: send_arp or iputils_arping',
    longdesc: 'send_arp (resource-agents): ARP request and reply pairs, arp_interval apart. iputils_arping: arping -U, unsolicited requests only, whole-second interval. IPv6 always uses send_ua.',
  },
  nodad: { type: 'boolean', default: false, shortdesc: 'IPv6: skip duplicate address detection', longdesc: 'The address is usable at once (about 1 s sooner), at the risk of a duplicate going unnoticed.' },
  noprefixroute: { type: 'boolean', default: false, shortdesc: 'add no route for the network of the address', longdesc: 'ip addr add … noprefixroute.' },
  preferred_lft: {
    type: 'string',
    default: 'forever',
    shortdesc: 'IPv6 preferred lifetime (seconds or forever)',
    longdesc: '0 keeps the address from being chosen as the source of outgoing connections; forever (default) lets it be.',
  },
} as const

type Ctx = ActionContext<typeof parameters, VirtualIP>

async function validate(ctx: Ctx): Promise<void> {
  const { params, env } = ctx
  const bad = (name: string, why: string) => new HaloError(OCF.ERR_CONFIGURED, `parameter ${name}: ${why}`)
  if (params.arp_interval <= 0) throw bad('arp_interval', `${params.arp_interval} must be a positive number of ms`)
  if (params.arp_count <= 0) throw bad('arp_count', `${params.arp_count} must be at least 1`)
  if (!/^(forever|\d+)$/.test(params.preferred_lft)) throw bad('preferred_lft', `"${params.preferred_lft}" is not a number of seconds or forever`)
  if (Number(env.OCF_RESKEY_CRM_meta_clone_max ?? 1) > 1) throw new HaloError(OCF.ERR_CONFIGURED, 'a cloned IPaddr (CLUSTERIP load sharing) is not supported: run it as a primitive')
  // Only start and validate-all look at the host: a probe, monitor or stop on a node without this
  // interface must still answer (not running / stopped), not fail the resource everywhere.
  // (start places the address itself)
  if (ctx.action === 'validate-all') await place(ctx.resolved, left(ctx))
}

const left = (ctx: Ctx) => Math.max(1, ctx.deadline - performance.now())
/** what is left for the last step after waiting: a tenth of the time, 1 to 2 s */
const margin = (ctx: Ctx) => Math.min(2000, Math.max(1000, ctx.timeout / 10))

function linkTrouble(link: Link | undefined, nic: string): string | undefined {
  if (!link) return `${nic} has gone`
  if (!link.up) return `${nic} is down (ip link set ${nic} up)`
  if (!link.carrier) return `${nic} is up but has no carrier (cable, switch port or peer down)`
  return undefined
}

async function start(ctx: Ctx): Promise<number> {
  const { params, log, resolved: vip } = ctx
  const placement = await place(vip, left(ctx))
  // IPv4 on a link that is down is not seen here (that would cost a command): `ip addr add` says so below
  const held = localHolders(vip.ip)
  const elsewhere = held.filter((a) => a.nic !== placement.nic && a.nic !== 'lo')
  if (elsewhere.length > 0) throw new HaloError(OCF.ERR_GENERIC, `${vip.text} is already on ${elsewhere.map((a) => a.nic).join(', ')}, not ${placement.nic}: take it off there first`)

  const link = linkOf(placement.nic)!
  if (!link.up) {
    log.info(`bringing ${placement.nic} up`)
    await runOk(['ip', 'link', 'set', 'dev', placement.nic, 'up'], { timeout: left(ctx) })
    await carrier(ctx, placement.nic)
  } else if (linkTrouble(link, placement.nic)) {
    throw new HaloError(OCF.ERR_GENERIC, `cannot serve ${vip.text}: ${linkTrouble(link, placement.nic)}`)
  }
  if (held.some((a) => a.nic === placement.nic)) {
    log.info(`${vip.text} is already on ${placement.nic}`)
    return OCF.SUCCESS
  }

  const argv = link.loopback || link.noarp ? undefined : announcerArgv(vip, placement, { sender: params.arp_sender as ArpSender, interval: params.arp_interval, count: params.arp_count })
  if (argv) checkAnnouncer(argv)
  stopAnnouncing(vip, log) // a leftover from an earlier run would announce on the wrong link
  await addAddress(ctx, vip, placement)
  if (vip.ip.family === 6 && !params.nodad) await dadCleared(vip, placement, ctx.deadline - margin(ctx))
  if (argv) await announce(vip, argv, params.arp_bg, ctx.deadline, log)
  return OCF.SUCCESS
}

async function addAddress(ctx: Ctx, vip: VirtualIP, placement: Placement): Promise<void> {
  const { params, log } = ctx
  const v6 = vip.ip.family === 6
  const argv = ['ip', v6 ? '-6' : '-4', 'addr', 'add', `${vip.text}/${placement.prefix}`]
  if (placement.broadcast) argv.push('brd', formatIP(placement.broadcast))
  argv.push('dev', placement.nic)
  if (vip.label) argv.push('label', vip.label)
  if (v6 && params.nodad) argv.push('nodad')
  if (params.noprefixroute) argv.push('noprefixroute')
  if (v6) argv.push('preferred_lft', params.preferred_lft)
  log.info(`adding ${vip.text}/${placement.prefix} to ${placement.nic}${vip.label ? ` as ${vip.label}` : ''}`)
  const r = await run(argv, { timeout: left(ctx) })
  if (r.code === 0) return
  if (/File exists|already assigned/.test(r.stderr)) return log.info(`${vip.text} was already on ${placement.nic}`)
  throw new HaloError(OCF.ERR_GENERIC, `cannot add ${vip.text} to ${placement.nic}: ${argv.join(' ')}: ${describeFailure(r)}`)
}

/** A link just brought up may take a few seconds to see its carrier (autonegotiation). */
async function carrier(ctx: Ctx, nic: string): Promise<void> {
  const until = ctx.deadline - margin(ctx)
  while (!linkOf(nic)?.carrier) {
    if (performance.now() >= until) throw new HaloError(OCF.ERR_GENERIC, `${nic} is up but has no carrier (cable, switch port or peer down)`)
    await sleep(20)
  }
}

async function monitor(ctx: Ctx): Promise<number> {
  const vip = ctx.resolved
  const [mine] = ours(vip, await holdersOf(vip.ip, { quick: true, timeout: left(ctx) }))
  if (!mine) return OCF.NOT_RUNNING
  const trouble = linkTrouble(linkOf(mine.nic), mine.nic)
  if (trouble) throw new HaloError(OCF.ERR_GENERIC, `${vip.text} is on ${mine.nic}, but ${trouble}`)
  if (mine.dadFailed) throw new HaloError(OCF.ERR_GENERIC, `another host on the link of ${mine.nic} has ${vip.text} too (IPv6 duplicate address detection failed)`)
  return OCF.SUCCESS
}

async function stop(ctx: Ctx): Promise<number> {
  const vip = ctx.resolved
  stopAnnouncing(vip, ctx.log)
  for (const a of ours(vip, await holdersOf(vip.ip, { quick: true, timeout: left(ctx) }))) {
    ctx.log.info(`removing ${vip.text}/${a.prefix} from ${a.nic}`)
    await runOk(['ip', vip.ip.family === 6 ? '-6' : '-4', 'addr', 'del', `${vip.text}/${a.prefix}`, 'dev', a.nic], { timeout: left(ctx) })
  }
  return OCF.SUCCESS
}

/** haresources: `ip[/bits[/nic[:label][/broadcast]]]` (bits may be empty: `10.0.0.5//eth0`) */
function parseV1(args: readonly string[]): Record<string, string> {
  if (args.length !== 1) throw new HaloError(OCF.ERR_ARGS, `expected one argument ip[/bits[/nic[:label][/broadcast]]], got ${args.length}`)
  const parts = args[0].split('/')
  if (parts.length > 4) throw new HaloError(OCF.ERR_ARGS, `"${args[0]}" is not ip[/bits[/nic[:label][/broadcast]]]`)
  const [ip, bits = '', nic = '', broadcast = ''] = parts
  return { ip, cidr_netmask: bits, nic, broadcast }
}

runAgent(
  defineAgent({
    name: 'IPaddr',
    version: '1.0',
    shortdesc: 'A virtual IPv4 or IPv6 address',
    longdesc:
      'Puts a virtual IP address on an interface and announces it (gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6 once duplicate address detection has cleared). Monitor reports running only when the address is present and its link is up with carrier. Parameters as resource-agents\' IPaddr2.',
    parameters,
    timeouts: { start: 20, stop: 20, monitor: 20, 'validate-all': 20 },
    binaries: () => ['ip'],
    resolve: virtualIP,
    validate,
    v1: { usage: 'IPaddr ip[/bits[/nic[:label][/broadcast]]] {start|stop|status}', parse: parseV1 },
    actions: { start, stop, monitor },
  }),
)
