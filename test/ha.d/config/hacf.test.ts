import t from 'tap'
import { ConfigError } from '../../../lib/errors.ts'
import { parseHaCf, type HaCf, type HaCfOptions } from '../../../ha.d/config/hacf.ts'

const opts = { uname: 'NodeA' }
const base = 'node nodea nodeb\nbcast hb0\n'
const cf = (text: string, o: HaCfOptions = opts): HaCf => parseHaCf(text, '/etc/ha.d/ha.cf', o)
/** The file:line text of the error `text` raises. */
const refusal = (text: string) => {
  try {
    cf(text)
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  return 'accepted'
}

t.test("the captures' ha.cf", async (t) => {
  const c = cf('keepalive 200ms\ndeadtime 1\nwarntime 500ms\ninitdead 12\nudpport 694\nbcast hb0\nauto_failback on\nnode nodea\nnode nodeb\ncrm off\nuse_logd no\nlogfile /n/ha-log\ndebugfile /n/ha-debug\n')
  t.match(c, { keepalive: 200, deadtime: 1000, warntime: 500, initdead: 12000, deadping: 1000, udpport: 694, autoFailback: 'on', nodes: ['nodea', 'nodeb'], localNode: 'nodea' })
  t.same(c.media, [{ kind: 'bcast', iface: 'hb0', port: 694, line: 6 }])
  t.same(c.logging, { useLogd: false, facility: undefined, logfile: '/n/ha-log', debugfile: '/n/ha-debug' })
  t.equal(c.parameters.get('keepalive'), '200ms', 'hbparameter prints the text as written')
  t.equal(c.parameters.get('deadping'), '1000ms', 'a derived time as <n>ms')
})

t.test('defaults, and what the real daemon derives (measured with cl_status hbparameter)', async (t) => {
  const c = cf(base)
  t.match(c, { keepalive: 1000, deadtime: 30000, warntime: 15000, initdead: 30000, deadping: 30000, udpport: 694, baud: 19200, autoFailback: 'legacy', hopfudge: 1, realtime: true, msgfmt: 'classic', debug: 0 })
  t.match(Object.fromEntries(c.parameters), { keepalive: '1000ms', deadtime: '30000ms', warntime: '15000ms', initdead: '30000ms', udpport: '694', use_logd: 'yes', cluster: 'linux-ha', memreserve: '6500' })
  t.match(c.warnings, [{ text: /auto_failback legacy/ }])
  // deadtime → warntime, initdead, deadping, as heartbeat 3.0.6 reported them (cl_status hbparameter)
  const measured = [
    ['5', '2500ms', '12000ms', '5000ms'], ['6', '3000ms', '12000ms', '6000ms'], ['9.9', '4950ms', '19800ms', '9900ms'],
    ['10', '5000ms', '20000ms', '10000ms'], ['10.5', '5250ms', '10500ms', '10500ms'], ['11', '5500ms', '11000ms', '11000ms'],
    ['1001ms', '500ms', '12000ms', '1001ms'],
  ]
  for (const [deadtime, ...derived] of measured) {
    const p = cf(`keepalive 100ms\ndeadtime ${deadtime}\n${base}`).parameters
    t.same([p.get('warntime'), p.get('initdead'), p.get('deadping')], derived, `deadtime ${deadtime}`)
  }
})

t.test('splitting: blanks and commas, comments anywhere, the last value wins', async (t) => {
  t.same(cf('node NodeA,nodeB\tnodec # node x\nbcast hb0,hb1#c\n').nodes, ['nodea', 'nodeb', 'nodec'])
  t.same(cf('node nodea nodeb\nbcast hb0,hb1#c\n').media.map((m) => m.kind === 'bcast' && m.iface), ['hb0', 'hb1'])
  t.equal(cf(`keepalive 2 1\ndeadtime 3\n${base}`).keepalive, 1000)
  t.equal(cf(`keepalive 1499us\ndeadtime 2999us\n${base}`).keepalive, 1, 'us rounded to whole ms')
})

t.test('udpport applies to the media after it; bcast keeps the port of the first bcast', async (t) => {
  const c = cf('node nodea nodeb\nudpport 700\nbcast hb0\nudpport 701\nbcast hb1\nucast hb2 10.0.0.2\nmcast hb3 239.0.0.1 695 1 0\nserial /dev/ttyS0\n')
  t.same(c.media.map((m) => ('port' in m ? m.port : m.baud)), [700, 700, 701, 695, 19200])
  t.match(c.media[3], { kind: 'mcast', group: '239.0.0.1', ttl: 1, loop: false })
})

t.test('logging: logd when nothing says otherwise; only logfacility → files /dev/null', async (t) => {
  t.same(cf(base).logging, { useLogd: true, facility: undefined, logfile: undefined, debugfile: undefined })
  t.same(cf(`logfacility none\n${base}`).logging.useLogd, true)
  t.same(cf(`logfacility local0\n${base}`).logging, { useLogd: false, facility: 'local0', logfile: '/dev/null', debugfile: '/dev/null' })
  t.same(cf(`logfile /l\n${base}`).logging, { useLogd: false, facility: undefined, logfile: '/l', debugfile: undefined })
  t.equal(cf(`use_logd yes\nlogfile /l\n${base}`).logging.useLogd, true)
})

t.test('the other directives', async (t) => {
  const c = cf(`${base}ping 10.0.0.254\nping_group g1 10.0.0.1 10.0.0.2\nrespawn hacluster /usr/lib/heartbeat/ipfail -x\napiauth ipfail uid=hacluster,root gid=haclient\nstonith_host * null nodeb\nenv FOO=bar\nauto_failback off\nhopfudge 2\nrealtime off\nmsgfmt netstring\ndebug 1\nwatchdog /dev/watchdog\ncompression bz2\n`)
  t.same(c.pingNodes.map((p) => [p.name, p.hosts]), [['10.0.0.254', ['10.0.0.254']], ['g1', ['10.0.0.1', '10.0.0.2']]])
  t.match(c.respawn, [{ user: 'hacluster', argv: ['/usr/lib/heartbeat/ipfail', '-x'], failfast: false }])
  t.match(c.apiauth, [{ client: 'ipfail', uids: ['hacluster', 'root'], gids: ['haclient'] }])
  t.match(c.stonith, [{ host: '*', type: 'null', params: ['nodeb'] }])
  t.same([...c.env], [['HA_FOO', 'bar']])
  t.match(c, { autoFailback: 'off', hopfudge: 2, realtime: false, msgfmt: 'netstring', debug: 1, watchdog: '/dev/watchdog' })
  t.equal(cf(`nice_failback on\n${base}`).autoFailback, 'off')
  t.match(cf(`udp hb1\n${base}`).warnings, [{ line: 1, text: /replaced by 'bcast'/ }])
})

t.test("only Heartbeat's recorded directives are parameters (HA_<name>, hbparameter): never a secret", async (t) => {
  const text = `${base}mcast hb1 239.0.0.1 694 1 0\nucast hb2 10.0.0.2\nping 10.0.0.254\nping_group g1 10.0.0.1\nrespawn hacluster /usr/lib/heartbeat/ipfail\nfailfast hacluster /bin/true\napiauth ipfail uid=hacluster\nstonith_host * external/ipmi nodeb 10.0.0.9 admin s3cret\nstonith null /etc/ha.d/stonith.cf\nenv SECRET=s3cret\nnice_failback on\ncrm off\nkeepalive 2\n`
  const p = cf(text).parameters
  for (const name of ['node', 'bcast', 'mcast', 'ucast', 'ping', 'ping_group', 'respawn', 'failfast', 'apiauth', 'stonith_host', 'stonith', 'env', 'nice_failback', 'crm']) {
    t.notOk(p.has(name), `${name} is not one`)
  }
  t.notMatch([...p.values()].join(' '), /s3cret/, 'no value holds the password')
  t.equal(p.get('keepalive'), '2')
  t.equal(p.get('pacemaker'), 'off', 'crm is recorded as pacemaker')
  t.equal(p.get('auto_failback'), 'legacy', 'nice_failback is not recorded, auto_failback keeps its default')
  t.equal(p.get('hbversion'), '3.0.6', 'the version, recorded beside them')
})

t.test('the local node: uname -n or the first line of nodeinfo, lowercased', async (t) => {
  t.equal(cf(base, { uname: 'other', nodeinfo: 'NodeB\nignored\n' }).localNode, 'nodeb')
  t.throws(() => cf(base, { uname: 'nodec' }), { message: /^\/etc\/ha\.d\/ha\.cf:1: this node, nodec \(uname -n\), is not a node/ })
})

t.test('every refusal names file:line and says what to do', async (t) => {
  const cases: [string, RegExp][] = [
    [`bogus 1\n${base}`, /ha\.cf:1: unknown directive "bogus"/],
    [`KeepAlive 2\n${base}`, /ha\.cf:1: unknown directive "KeepAlive"/],
    // names every object has (found by test/fuzz): unknown directives, not a TypeError
    [`constructor 1\n${base}`, /ha\.cf:1: unknown directive "constructor"/],
    [`__proto__ 1\n${base}`, /ha\.cf:1: unknown directive "__proto__"/],
    // a carriage return inside a line (found by test/fuzz) is a blank, as for Heartbeat's isspace
    [`bogus 1\rx\n${base}`, /ha\.cf:1: unknown directive "bogus"/],
    [`keepalive 0\n${base}`, /:1: keepalive 0: write a time greater than 0/],
    [`keepalive abc\n${base}`, /:1: keepalive abc/],
    [`warntime 0\n${base}`, /:1: warntime 0/],
    [`keepalive 15\n${base}`, /:1: deadtime \(30000 ms\) must be more than twice keepalive \(15000 ms\)/],
    [`deadtime 1500us\nkeepalive 1000us\n${base}`, /:1: deadtime \(2 ms\) must be more than twice keepalive \(1 ms\)/],
    [`deadtime 3\ninitdead 2\n${base}`, /:2: initdead \(2000 ms\) is less than deadtime \(3000 ms\)/],
    [`deadping 1\n${base}`, /:1: deadping \(1000 ms\) must be more than twice keepalive/],
    [`udpport 0\n${base}`, /:1: udpport 0: write a port number/],
    [`baud 1234\n${base}`, /:1: baud 1234: write one of/],
    [`baud 9600\nbaud 19200\n${base}`, /:2: baud is already set on line 1/],
    [`auto_failback maybe\n${base}`, /:1: auto_failback maybe: write auto_failback on, off or legacy/],
    [`crm on\n${base}`, /:1: crm on: halo runs Heartbeat's v1 mode only/],
    [`crm respawn\n${base}`, /:1: crm respawn: halo runs/],
    [`autojoin any\n${base}`, /:1: autojoin any: .*write autojoin none/],
    [`autojoin bogus\n${base}`, /:1: autojoin bogus: write autojoin none, other or any/],
    [`logfacility bogus\n${base}`, /:1: logfacility bogus/],
    [`use_logd no\n${base}`, /:1: use_logd no, and no logfacility/],
    [`realtime maybe\n${base}`, /:1: realtime maybe: write a boolean/],
    [`msgfmt xml\n${base}`, /:1: msgfmt xml: write msgfmt classic or netstring/],
    [`hopfudge 300\n${base}`, /:1: hopfudge 300: write a whole number from 0 to 255/],
    [`env FOO\n${base}`, /:1: env FOO: write env NAME=VALUE/],
    [`${base}mcast hb0 239.0.0.1 694 5 0\n`, /:3: mcast ttl 5 must be 0 to 4/],
    [`${base}mcast hb0 239.0.0.1 694 1 2\n`, /:3: mcast loop 2 must be 0 or 1/],
    [`${base}mcast hb0 10.0.0.1 694 1 0\n`, /:3: mcast group 10\.0\.0\.1 is not a multicast address/],
    [`${base}mcast hb0 239.000.0.1 694 1 0\n`, /:3: mcast group 239\.000\.0\.1 is not a multicast address/],
    [`${base}mcast hb0 239.0.0.1 694 1\n`, /:3: mcast needs 5 values, not 4/],
    [`${base}ucast hb0\n`, /:3: ucast needs an interface and the peer address/],
    [`${base}ucast hb0 10.0.0.2 10.0.0.3\n`, /:3: ucast takes one peer per line/],
    [`${base}mcast6 hb0 ff02::1 694 1 0\n`, /:3: mcast6: halo has no IPv6 heartbeat media/],
    [`${base}ping_group g1\n`, /:3: ping_group needs a name and at least one host/],
    [`${base}respawn hacluster\n`, /:3: respawn needs a user and a full path/],
    [`${base}apiauth foo\n`, /:3: apiauth foo: write apiauth CLIENT/],
    [`${base}stonith baytech\n`, /:3: stonith needs a type and its config file/],
    [`${base}keepalive\n`, /:3: keepalive needs a value/],
    [`node nodea nodeb\n`, /ha\.cf: no heartbeat media: add a bcast/],
    [`bcast hb0\n`, /ha\.cf: no node lines: add one per cluster node, e.g. node nodea/],
    [`node ${Array.from({ length: 100 }, (_, i) => `n${i}`).join(' ')} nodea\nbcast hb0\n`, /:1: node nodea: at most 100 nodes/],
  ]
  for (const [text, expected] of cases) t.match(refusal(text), expected, text.replaceAll('\n', ' | ').slice(0, 60))
  t.equal(refusal(`node ${Array.from({ length: 99 }, (_, i) => `n${i}`).join(' ')} nodea\nbcast hb0\n`), 'accepted', '100 nodes are allowed')
})

t.test('every error of the file is reported, each with its line, as Heartbeat does', async (t) => {
  const text = 'keepalive 2\ndeadtime 3\nnode nodea nodeb\nbcast hb0\nrealtime maybe\nfoo bar\nmcast hb1 10.0.0.1 694 1 0\ninitdead 1\n'
  const lines = refusal(text).split('\n')
  t.match(lines, [
    /^\/etc\/ha\.d\/ha\.cf:5: realtime maybe: write a boolean/,
    /^\/etc\/ha\.d\/ha\.cf:6: unknown directive "foo"/,
    /^\/etc\/ha\.d\/ha\.cf:7: mcast group 10\.0\.0\.1 is not a multicast address/,
    /^\/etc\/ha\.d\/ha\.cf:2: deadtime \(3000 ms\) must be more than twice keepalive \(2000 ms\)/,
    /^\/etc\/ha\.d\/ha\.cf:8: initdead \(1000 ms\) is less than deadtime \(3000 ms\)/,
  ])
  t.equal(lines.length, 5, 'each error once')
  t.throws(() => cf(text), { name: 'ConfigErrors', errors: [{ line: 5 }, { line: 6 }, { line: 7 }, { line: 2 }, { line: 8 }] })
})
