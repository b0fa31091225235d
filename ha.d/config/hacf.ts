/**
 * /etc/ha.d/ha.cf, read exactly as Heartbeat 3.0.6 reads it with crm off (v1 mode), into typed config.
 * Every rule here was checked against the real daemon: see test/ha.d/config/hacf.test.ts.
 * Values split on blanks and commas, each one applied as if on its own line (`node a,b` = two nodes; a
 * repeated directive: the last value wins); the whole-line directives take the rest of the line.
 * Alongside the typed values, `parameters` keeps each value as the daemon holds it: the text as written,
 * the defaults of `heartbeat -D`, derived times as `<n>ms`: the engine exports them as HA_<name> and
 * `cl_status hbparameter` prints them. Like Heartbeat, only its plain settings (`recorded`): not node, the
 * media, env, nor the whole-line directives (stonith_host with its password, respawn, apiauth…).
 */
import { existsSync, readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { ConfigError, collectConfigError, throwConfigErrors } from '../../lib/errors.ts'
import { haCfTime, parseDuration } from '../../lib/time.ts'
import { type MediaLine, parseMcast, parseUcast, unsupportedMedia } from './hacf-media.ts'
import { configLines, parseBoolean, readConfigFile } from '../../lib/config/lines.ts'

export type AutoFailback = 'on' | 'off' | 'legacy'

/** A ping node (`ping HOST`: named by its host) or a ping group (`ping_group NAME HOST…`). */
export interface PingNode {
  name: string
  hosts: string[]
  line: number
}

/** `respawn USER /path args` (or failfast: the same, and the node stops when it dies). */
export interface ClientChild {
  user: string
  argv: string[]
  failfast: boolean
  line: number
}

export interface ApiAuth {
  client: string
  uids: string[]
  gids: string[]
  line: number
}

/** `stonith TYPE FILE` (host '*') or `stonith_host HOST TYPE PARAMS…`. */
export interface Stonith {
  host: string
  type: string
  configFile?: string
  params: string[]
  line: number
}

/** Where the daemon's own messages go; logd when no log line says otherwise. */
export interface Logging {
  useLogd: boolean
  facility: string | undefined
  logfile: string | undefined
  debugfile: string | undefined
}

export interface Warning {
  line: number
  text: string
}

export interface HaCf {
  file: string
  /** this node, lowercased: uname -n, or the first line of nodeinfo */
  localNode: string
  /** ms, all five */
  keepalive: number
  deadtime: number
  warntime: number
  initdead: number
  deadping: number
  udpport: number
  baud: number
  nodes: string[]
  media: MediaLine[]
  pingNodes: PingNode[]
  autoFailback: AutoFailback
  hopfudge: number
  realtime: boolean
  msgfmt: 'classic' | 'netstring'
  debug: number
  watchdog: string | undefined
  respawn: ClientChild[]
  apiauth: ApiAuth[]
  stonith: Stonith[]
  logging: Logging
  /** `env N=V` lines, as the variables respawned clients get: HA_N=V */
  env: Map<string, string>
  /** every parameter as the daemon holds it: the text written, a default, or a derived `<n>ms` */
  parameters: Map<string, string>
  /** what Heartbeat also warns about; the engine logs them */
  warnings: Warning[]
  /** directive → the line it was last written on (halo check names it) */
  lines: ReadonlyMap<string, number>
}

export interface HaCfOptions {
  /** `uname -n` of this machine */
  uname: string
  /** the text of <confdir>/nodeinfo, when it exists: its first line names this node instead */
  nodeinfo?: string
}

/** `heartbeat -D` of 3.0.6: the values the daemon holds for directives not written (the times: deriveTimes). */
const defaults: Record<string, string> = {
  cluster: 'linux-ha', hopfudge: '1', baud: '19200', auto_failback: 'legacy',
  hbgenmethod: 'file', realtime: 'true', msgfmt: 'classic', conn_logd_time: '60', log_badpack: 'true', syslogmsgfmt: 'true',
  coredumps: 'true', pacemaker: 'false', autojoin: 'none', uuidfrom: 'file', compression: 'zlib', compression_threshold: '2',
  traditional_compression: 'no', max_rexmit_delay: '250', record_config_changes: 'on', record_pengine_inputs: 'on',
  enable_config_writes: 'on', memreserve: '6500',
}

/**
 * The directives Heartbeat 3.0.6 records (its config table's record_value): the only ones it exports as
 * HA_<name> and answers `cl_status hbparameter` for. `crm` is recorded as pacemaker.
 */
const recorded = new Set(['cluster', 'hopfudge', 'keepalive', 'deadtime', 'deadping', 'initdead', 'warntime', 'watchdog', 'baud', 'udpport',
  'logfacility', 'logfile', 'debugfile', 'auto_failback', 'rtprio', 'hbgenmethod', 'realtime', 'debug', 'msgfmt', 'use_logd', 'conn_logd_time',
  'log_badpack', 'syslogmsgfmt', 'coredumps', 'coreroot', 'crm_daemon_dir', 'crmd_spawns_pengine', 'pacemaker', 'autojoin', 'uuidfrom',
  'compression', 'compression_threshold', 'traditional_compression', 'max_rexmit_delay', 'record_config_changes', 'record_pengine_inputs',
  'enable_config_writes', 'memreserve', 'quorum_server'])

const wholeLine = new Set(['ucast', 'mcast', 'ping_group', 'respawn', 'failfast', 'apiauth', 'stonith', 'stonith_host'])
const times = ['keepalive', 'deadtime', 'warntime', 'initdead', 'deadping'] as const
type TimeName = (typeof times)[number]
const bauds = new Set(['1200', '2400', '4800', '9600', '19200', '38400', '57600', '115200', '230400', '460800'])
const facilities = new Set(['auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7', 'none'])
const booleans = ['realtime', 'use_logd', 'coredumps', 'log_badpack', 'syslogmsgfmt', 'use_apphbd', 'traditional_compression',
  'crmd_spawns_pengine', 'record_config_changes', 'record_pengine_inputs', 'enable_config_writes']
/** value → allowed words, or a check on the number (the range said in the error) */
const choices: Record<string, readonly string[]> = {
  msgfmt: ['classic', 'netstring'], hbgenmethod: ['file', 'time'], uuidfrom: ['file', 'nodename'], compression: ['zlib', 'bz2'],
}
const integers: Record<string, [number, number]> = {
  hopfudge: [0, 255], debug: [0, 255], rtprio: [1, 99], compression_threshold: [1, 1_000_000], max_rexmit_delay: [1, 1_000_000],
  memreserve: [0, 10_000_000], conn_logd_time: [0, 1_000_000],
}
const free = new Set(['logfile', 'debugfile', 'watchdog', 'cluster', 'coreroot', 'quorum_server', 'crm_daemon_dir'])
const maxNodes = 100

/** Every error of the file is reported (a ConfigErrors when there are several), as Heartbeat does, then none of it is used. */
export function parseHaCf(text: string, file: string, opts: HaCfOptions): HaCf {
  const fail = (line: number, why: string): never => {
    throw new ConfigError(file, line, why)
  }
  const errors: ConfigError[] = []
  const check = (fn: () => void) => collectConfigError(errors, fn)
  const parameters = new Map(Object.entries(defaults))
  const set = new Map<string, number>() // directive → line it was last written on
  const time: Partial<Record<TimeName, number>> = {}
  const cf = {
    file, nodes: [] as string[], media: [] as MediaLine[], pingNodes: [] as PingNode[], respawn: [] as ClientChild[],
    apiauth: [] as ApiAuth[], stonith: [] as Stonith[], env: new Map<string, string>(), warnings: [] as Warning[],
  }
  let udpport = 694
  let bcastPort: number | undefined
  let baud = 19200
  let autoFailback: AutoFailback = 'legacy'

  const apply = (name: string, value: string, no: number) => {
    const as = name === 'crm' ? 'pacemaker' : name
    if (recorded.has(as)) parameters.set(as, value)
    set.set(name, no)
    if ((times as readonly string[]).includes(name)) {
      const ms = parseDuration(value, haCfTime)
      if (ms === undefined || ms <= 0) fail(no, `${name} ${value}: write a time greater than 0: seconds (${name} 2, ${name} 0.5) or ms (${name} 500ms)`)
      time[name as TimeName] = ms
    } else if (name === 'node') {
      const node = value.toLowerCase()
      if (!cf.nodes.includes(node)) cf.nodes.push(node)
      if (cf.nodes.length > maxNodes) fail(no, `node ${value}: at most ${maxNodes} nodes in a cluster`)
    } else if (name === 'bcast' || name === 'udp') {
      if (name === 'udp') cf.warnings.push({ line: no, text: `directive 'udp' replaced by 'bcast': write bcast ${value}` })
      bcastPort ??= udpport
      cf.media.push({ kind: 'bcast', iface: value, port: bcastPort, line: no })
    } else if (name === 'serial') {
      cf.media.push({ kind: 'serial', device: value, baud, line: no })
    } else if (name === 'udpport') {
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) fail(no, `udpport ${value}: write a port number, 1 to 65535 (Heartbeat's is 694)`)
      udpport = Number(value)
    } else if (name === 'baud') {
      if (!bauds.has(value)) fail(no, `baud ${value}: write one of ${[...bauds].join(' ')}`)
      baud = Number(value)
    } else if (name === 'ping') {
      cf.pingNodes.push({ name: value, hosts: [value], line: no })
    } else if (name === 'auto_failback' || name === 'nice_failback') {
      const flag = parseBoolean(value)
      if (flag === undefined && !(name === 'auto_failback' && value.toLowerCase() === 'legacy')) {
        fail(no, `${name} ${value}: write auto_failback on, off or legacy`)
      }
      // nice_failback on is the old spelling of "do not fail back"
      autoFailback = flag === undefined ? 'legacy' : (name === 'nice_failback' ? !flag : flag) ? 'on' : 'off'
      if (name === 'nice_failback') cf.warnings.push({ line: no, text: `nice_failback is obsolete: write auto_failback ${autoFailback}` })
    } else if (name === 'crm' || name === 'pacemaker') {
      if (parseBoolean(value) !== false) fail(no, `${name} ${value}: halo runs Heartbeat's v1 mode only (resources from haresources): write crm off or remove the line`)
    } else if (name === 'autojoin') {
      if (!['none', 'other', 'any'].includes(value)) fail(no, `autojoin ${value}: write autojoin none, other or any`)
      if (value !== 'none') fail(no, `autojoin ${value}: resources from haresources need a fixed node list: write autojoin none`)
    } else if (name === 'logfacility') {
      if (!facilities.has(value)) fail(no, `logfacility ${value}: write a syslog facility (daemon, local0 … local7) or none`)
    } else if (name === 'env') {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(value)
      if (!m) fail(no, `env ${value}: write env NAME=VALUE (exported as HA_NAME)`)
      else cf.env.set(`HA_${m[1]}`, m[2])
    } else if (booleans.includes(name)) {
      if (parseBoolean(value) === undefined) fail(no, `${name} ${value}: write a boolean: on/off, yes/no, true/false, y/n, 1/0`)
    } else if (Object.hasOwn(choices, name)) {
      if (!choices[name].includes(value)) fail(no, `${name} ${value}: write ${name} ${choices[name].join(' or ')}`)
    } else if (Object.hasOwn(integers, name)) {
      const [lo, hi] = integers[name]
      if (!/^\d+$/.test(value) || Number(value) < lo || Number(value) > hi) fail(no, `${name} ${value}: write a whole number from ${lo} to ${hi}`)
    } else if (!free.has(name)) {
      fail(no, `unknown directive "${name}": check its spelling against ha.cf(5) of Heartbeat 3.0.6, or remove the line`)
    }
  }

  const applyLine = (name: string, rest: string, no: number) => {
    const words = rest.split(/\s+/).filter(Boolean)
    const why = (reason: unknown) => fail(no, reason instanceof Error ? reason.message : String(reason))
    set.set(name, no)
    if (name === 'ucast') {
      try { cf.media.push(parseUcast(words, udpport, no)) } catch (e) { why(e) }
    } else if (name === 'mcast') {
      try { cf.media.push(parseMcast(words, no)) } catch (e) { why(e) }
    } else if (name === 'ping_group') {
      if (words.length < 2) fail(no, 'ping_group needs a name and at least one host: ping_group group1 10.0.0.254 10.0.0.253')
      cf.pingNodes.push({ name: words[0], hosts: words.slice(1), line: no })
    } else if (name === 'respawn' || name === 'failfast') {
      if (words.length < 2 || !words[1].startsWith('/')) fail(no, `${name} needs a user and a full path: ${name} hacluster /usr/lib/heartbeat/ipfail`)
      cf.respawn.push({ user: words[0], argv: words.slice(1), failfast: name === 'failfast', line: no })
    } else if (name === 'apiauth') {
      cf.apiauth.push(parseApiAuth(words, no, fail))
    } else if (name === 'stonith') {
      if (words.length !== 2) fail(no, 'stonith needs a type and its config file: stonith baytech /etc/ha.d/conf/stonith.baytech')
      cf.stonith.push({ host: '*', type: words[0], configFile: words[1], params: [], line: no })
    } else {
      if (words.length < 2) fail(no, 'stonith_host needs a host (or *), a type and its parameters: stonith_host * baytech 10.0.0.3 login secret')
      cf.stonith.push({ host: words[0].toLowerCase(), type: words[1], params: words.slice(2), line: no })
    }
  }

  for (const { no, text: line } of configLines(text, 'anywhere')) {
    check(() => {
      const [, name, rest] = /^(\S+)\s*(.*)$/s.exec(line)!
      if ((unsupportedMedia as readonly string[]).includes(name)) fail(no, `${name}: halo has no IPv6 heartbeat media: use bcast, ucast or mcast`)
      if (wholeLine.has(name)) return applyLine(name, rest, no)
      const values = rest.split(/[\s,]+/).filter(Boolean)
      if (values.length === 0) fail(no, `${name} needs a value`)
      if (name === 'baud' && set.has('baud')) fail(no, `baud is already set on line ${set.get('baud')}: keep one baud line, before the serial lines`)
      for (const value of values) apply(name, value, no)
    })
  }

  const localNode = (opts.nodeinfo?.split('\n')[0] ?? opts.uname).trim().toLowerCase()
  check(() => {
    if (cf.nodes.length === 0) fail(0, `no node lines: add one per cluster node, e.g. node ${localNode}`)
    if (!cf.nodes.includes(localNode)) {
      fail(set.get('node')!, `this node, ${localNode} (${opts.nodeinfo !== undefined ? 'nodeinfo' : 'uname -n'}), is not a node: add it to a node line`)
    }
  })
  check(() => cf.media.length === 0 && fail(0, 'no heartbeat media: add a bcast, ucast, mcast or serial line, e.g. bcast eth1'))

  const timing = deriveTimes(time)
  const at = (name: TimeName) => set.get(name) ?? 0
  const { keepalive, deadtime, initdead, deadping } = timing
  check(() => {
    if (deadtime <= 2 * keepalive) {
      fail(at('deadtime') || at('keepalive'), `deadtime (${deadtime} ms) must be more than twice keepalive (${keepalive} ms): raise deadtime or lower keepalive`)
    }
  })
  check(() => time.initdead !== undefined && initdead < deadtime && fail(at('initdead'), `initdead (${initdead} ms) is less than deadtime (${deadtime} ms): raise initdead`))
  check(() => {
    if (time.deadping !== undefined && deadping <= 2 * keepalive) {
      fail(at('deadping'), `deadping (${deadping} ms) must be more than twice keepalive (${keepalive} ms): raise deadping`)
    }
  })
  if (initdead < 10_000) cf.warnings.push({ line: at('initdead'), text: `initdead ${initdead} ms may be too small: it should be at least deadtime and 10 s` })
  if (autoFailback === 'legacy') cf.warnings.push({ line: set.get('auto_failback') ?? 0, text: "auto_failback legacy is deprecated: write auto_failback on" })
  for (const name of times) if (time[name] === undefined) parameters.set(name, `${timing[name]}ms`)
  if (!set.has('udpport')) parameters.set('udpport', String(udpport))
  parameters.set('hbversion', '3.0.6') // not a directive: the daemon records its version beside them

  const logging = collectConfigError(errors, () => effectiveLogging(parameters, set, fail))
  throwConfigErrors(errors)
  return {
    ...cf,
    localNode,
    ...timing,
    udpport,
    baud,
    autoFailback,
    hopfudge: Number(parameters.get('hopfudge')),
    realtime: parseBoolean(parameters.get('realtime')!)!,
    msgfmt: parameters.get('msgfmt') as HaCf['msgfmt'],
    debug: Number(parameters.get('debug') ?? 0),
    watchdog: parameters.get('watchdog'),
    logging: logging!,
    parameters,
    lines: set,
  }
}

/** Heartbeat's defaults: keepalive 1 s, deadtime 30 s; warntime deadtime/2, deadping deadtime, initdead by how long deadtime is. */
function deriveTimes(time: Partial<Record<TimeName, number>>): Record<TimeName, number> {
  const keepalive = time.keepalive ?? 1000
  const deadtime = time.deadtime ?? 30_000
  const initdead = time.initdead ?? (deadtime > 10_000 ? deadtime : deadtime < 6000 ? 12_000 : 2 * deadtime)
  return { keepalive, deadtime, warntime: time.warntime ?? Math.floor(deadtime / 2), initdead, deadping: time.deadping ?? deadtime }
}

/**
 * No log line at all (logfacility none does not count) → logd; only logfacility → both files /dev/null.
 * use_logd no with no log line leaves the daemon mute: Heartbeat refuses that, and so does halo.
 */
function effectiveLogging(parameters: Map<string, string>, set: Map<string, number>, fail: (line: number, why: string) => never): Logging {
  const facility = set.has('logfacility') ? parameters.get('logfacility') : undefined
  const hasFacility = facility !== undefined && facility !== 'none'
  const logfile = parameters.get('logfile')
  const debugfile = parameters.get('debugfile')
  const anyLog = hasFacility || logfile !== undefined || debugfile !== undefined
  const written = set.has('use_logd') ? parseBoolean(parameters.get('use_logd')!) : undefined
  if (written === false && !anyLog) fail(set.get('use_logd')!, 'use_logd no, and no logfacility, logfile or debugfile: add one, or write use_logd yes')
  const useLogd = written ?? !anyLog
  if (written === undefined && useLogd) parameters.set('use_logd', 'yes')
  if (hasFacility && logfile === undefined && debugfile === undefined) {
    parameters.set('logfile', '/dev/null')
    parameters.set('debugfile', '/dev/null')
  }
  return { useLogd, facility, logfile: parameters.get('logfile'), debugfile: parameters.get('debugfile') }
}

function parseApiAuth(words: readonly string[], no: number, fail: (line: number, why: string) => never): ApiAuth {
  const usage = 'write apiauth CLIENT uid=user1,user2 gid=group1 (uid=, gid= or both)'
  const auth: ApiAuth = { client: words[0] ?? '', uids: [], gids: [], line: no }
  for (const word of words.slice(1)) {
    const m = /^(uid|gid)=(.+)$/.exec(word)
    if (!m) fail(no, `apiauth ${word}: ${usage}`)
    else auth[m[1] === 'uid' ? 'uids' : 'gids'].push(...m[2].split(',').filter(Boolean))
  }
  if (!auth.client || auth.uids.length + auth.gids.length === 0) fail(no, `apiauth ${words.join(' ')}: ${usage}`)
  return auth
}

/** Reads ha.cf, and nodeinfo beside it when there is one. */
export function readHaCf(path: string, uname = hostname()): HaCf {
  const nodeinfo = join(dirname(path), 'nodeinfo')
  return parseHaCf(readConfigFile(path), path, { uname, nodeinfo: existsSync(nodeinfo) ? readFileSync(nodeinfo, 'utf8') : undefined })
}
