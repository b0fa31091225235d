// Mutated ha.cf, haresources, authkeys, fence.cf, mon.cf and mon's auth.cf at their parsers: each file either parses or
// is refused with a ConfigError naming that file and a line inside it; never any other exception.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAuthKeys } from '../../ha.d/config/authkeys.ts'
import { parseHaCf } from '../../ha.d/config/hacf.ts'
import { parseHaresources } from '../../ha.d/config/haresources.ts'
import { parseMonCf } from '../../mon/config/moncf.ts'
import { ConfigError } from '../../lib/errors.ts'
import { parseFenceCf } from '../../ha.d/fence-cf.ts'
import { parseAuthCf } from '../../mon/authcf.ts'
import { Rng, SEED, mutateText, seedNote, tries } from './mutate.ts'

const example = (name: string) => readFileSync(join(import.meta.dirname, '../../examples/mysql-appserver-cluster', name), 'utf8')
const NODES = ['node1', 'node2']

const HACF = `debugfile /var/log/ha-debug
logfile /var/log/ha-log
logfacility local0
keepalive 2
deadtime 30
warntime 10
initdead 120
udpport 694
baud 19200
serial /dev/ttyS0
bcast eth0 eth1
ucast eth2 10.0.0.2
mcast eth3 225.0.0.1 694 1 0
ping 10.0.0.254
ping_group group1 10.0.0.253 10.0.0.252
respawn hacluster /usr/lib/heartbeat/ipfail
apiauth ipfail gid=haclient uid=hacluster
stonith_host node2 external/ipmi node1 10.0.9.1 admin secret lan
auto_failback on
node node1, node2
crm off
hopfudge 1
debug 0
realtime yes
msgfmt netstring
env LANG=C
use_logd no
`
const HACF_TOKENS = ['keepalive', 'deadtime', 'warntime', 'initdead', 'deadping', 'udpport', 'baud', 'serial', 'bcast', 'udp', 'ucast', 'mcast',
  'mcast6', 'ping', 'ping_group', 'respawn', 'failfast', 'apiauth', 'stonith', 'stonith_host', 'auto_failback', 'nice_failback', 'node', 'crm',
  'pacemaker', 'autojoin', 'logfacility', 'logfile', 'debugfile', 'use_logd', 'env', 'hopfudge', 'debug', 'realtime', 'msgfmt', 'watchdog',
  'rtprio', 'compression', 'legacy', 'on', 'off', 'yes', 'no', 'node1', 'node2', 'eth0', '10.0.0.1', '239.1.1.1', '500ms', '10us', '2',
  '0.5', 'uid=', 'gid=', '/usr/lib/x', 'hacluster', '*', 'A=b', '=']

const HARESOURCES = `${example('haresources')}
node2 10.0.0.5/24 Filesystem::/dev/sdb1::/data::ext4 \\
   httpd
# comment
node1 IPaddr::10.0.0.6 drbddisk#x
`
const HARESOURCES_TOKENS = ['node1', 'node2', 'NODE1', 'IPaddr::10.0.0.1/24/eth0', '10.1.1.1', 'drbddisk::r0', '::', 'a::', '::b', '\\', '#x']

const AUTHKEYS = `auth 2
1 crc
2 sha1 SomeSecret
3 md5 Other#Secret
`
const AUTHKEYS_TOKENS = ['auth', 'crc', 'md5', 'sha1', 'sha256', '0', '15', '16', '99', 'secret', '#']

const FENCECF = `delay 1
device node1 fence_ipmilan ip=10.0.9.1 username=admin password=secret lanplus=1
device node2 fence_ipmilan ip=10.0.9.2 username=admin password=s=e action=off
`
const FENCECF_TOKENS = ['delay', 'device', 'node1', 'node2', 'fence_ipmilan', 'stonith', 'ip=1.2.3.4', 'password=', 'action=reboot', 'action=on', 'x=y',
  '500ms', '=']

const MONCF = `${example('mon.cf')}
randstart = 10s
clientallow = 127.0.0.1 10.1.2.\\d+
dep_behavior = m
exclude_period = wd {Sat-Sun}

hostgroup web 10.0.0.1 10.0.0.2
    10.0.0.3

alias show
    group web

view admins web service

watch web
    service http
        HOST_VAR=1
        interval 1m
        failure_interval 10s
        monitor_timeout 5s
        randskew 5s
        monitor http.monitor -p 80 "a b" 'c d' \\
            -t 10 ;;
        allow_empty_group
        exclude_hosts 10.0.0.3
        exclude_period hr {1am-2am}
        depend SELF:ping
        dep_behavior hm
        unack_summary
        period day: wd {Mon-Fri} hr {7am-6pm}, wd {Sat}
            alert mail.alert admin@example.org
            alert exit=2-3 page.alert admin
            upalert mail.alert -u admin
            alertevery 1h summary
            alertafter 3 30m
            upalertafter 5m
            numalerts 10
            no_comp_alerts
            alerts_dont_count
            alertexitrange 1-255
        period night: hr {10pm-2am} min {0-30} mo {jan-mar} md {1-15} yd {1-100} wk {1-2} yr {2020-2030} sec {0-59}
            alert mail.alert night
`
const MONCF_TOKENS = ['watch', 'service', 'hostgroup', 'period', 'alert', 'upalert', 'alertevery', 'alertafter', 'interval', 'monitor', 'exit=',
  'exit=5-1', 'wd', 'hr', 'mo', 'yr', '{', '}', '{Mon-Fri}', '{25}', '{9am-5pm}', 'serverport', 'clientallow', '=', 'SELF:', ';;', '5m', '0s',
  '1x', 'web', 'http', 'alias', 'view', 'm4', 'strict', 'observe_detail', '(((', '[a-', '\\d+', 'dep_behavior', 'unack_summary', 'none', 'constructor {1}', 'valueof']

const AUTHCF = `# mon's auth.cf
command section
list: all
stop, start: AUTH_ANY
reset: root, !guest
test: admin
ack: !AUTH_ANY

trap section
127.0.0.1 monuser secret
*   *   *
`
const AUTHCF_TOKENS = ['command', 'trap', 'section', 'list:', 'stop:', 'all', 'AUTH_ANY', '!AUTH_ANY', 'root', '!root', ',', ':', 'nosuch:', '*', '127.0.0.1']

interface Target {
  name: string
  file: string
  seeds: string[]
  tokens: string[]
  parse(text: string, file: string): unknown
  n: number
}

const targets: Target[] = [
  { name: 'ha.cf', file: '/etc/ha.d/ha.cf', seeds: [HACF, example('ha.cf')], tokens: HACF_TOKENS, n: 3000, parse: (s, f) => parseHaCf(s, f, { uname: 'node1' }) },
  { name: 'haresources', file: '/etc/ha.d/haresources', seeds: [HARESOURCES], tokens: HARESOURCES_TOKENS, n: 2000, parse: (s, f) => parseHaresources(s, f, NODES) },
  { name: 'authkeys', file: '/etc/ha.d/authkeys', seeds: [AUTHKEYS, example('authkeys')], tokens: AUTHKEYS_TOKENS, n: 2000, parse: parseAuthKeys },
  { name: 'fence.cf', file: '/etc/ha.d/fence.cf', seeds: [FENCECF], tokens: FENCECF_TOKENS, n: 1000, parse: (s, f) => parseFenceCf(s, f, NODES) },
  { name: 'auth.cf', file: '/etc/mon/auth.cf', seeds: [AUTHCF], tokens: AUTHCF_TOKENS, n: 1000, parse: (s, f) => parseAuthCf(s, f, () => {}) },
  { name: 'mon.cf', file: '/etc/mon/mon.cf', seeds: [MONCF, example('mon.cf')], tokens: MONCF_TOKENS, n: 3000, parse: parseMonCf },
]

/** How `parse` met `text`: parsed, refused properly (at a line, or about the whole file: line 0), or what went wrong. */
function outcome(target: Target, text: string): 'parsed' | 'at a line' | 'whole file' | { why: string } {
  try {
    target.parse(text, target.file)
    return 'parsed'
  } catch (e) {
    if (!(e instanceof ConfigError)) return { why: `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, not a ConfigError` }
    const lines = text.split('\n').length
    if (e.file !== target.file) return { why: `ConfigError names ${e.file}, not ${target.file}` }
    if (!Number.isInteger(e.line) || e.line < 0 || e.line > lines) return { why: `ConfigError at line ${e.line}, outside the file's ${lines} lines` }
    if (e.why.trim() === '') return { why: 'ConfigError without a reason' }
    return e.line > 0 ? 'at a line' : 'whole file'
  }
}

for (const target of targets) {
  t.test(`mutated ${target.name}: parsed or a ConfigError at ${target.file}:line`, async (t) => {
    t.comment(seedNote(target.name))
    for (const seed of target.seeds) t.equal(outcome(target, seed), 'parsed', 'the unmutated file is read')
    const rng = new Rng(SEED, target.name)
    const failures: { why: string; text: string }[] = []
    const counts = { parsed: 0, 'at a line': 0, 'whole file': 0 }
    const n = tries(target.n)
    for (let i = 0; i < n; i++) {
      // some mutated twice: deeper changes
      const once = mutateText(rng, rng.pick(target.seeds), target.tokens)
      const text = rng.chance(0.3) ? mutateText(rng, once, target.tokens) : once
      const got = outcome(target, text)
      if (typeof got === 'string') counts[got]++
      else failures.push({ why: got.why, text })
    }
    t.comment(`fuzz ${target.name}: ${n} files tried: ${counts.parsed} parsed, ${counts['at a line']} refused at a line, ${counts['whole file']} refused as a whole (line 0), ${failures.length} misbehaved`)
    t.same(failures.slice(0, 5), [], `${failures.length} of ${n} mutated files misbehaved (the first ones shown)`)
  })
}
