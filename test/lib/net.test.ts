import t from 'tap'
import { isIPv4 as nodeIsIPv4 } from 'node:net'
import { broadcastOf, formatIP, inNetwork, isIPv4, isLinkLocal, isLoopback, isMulticast, maskOf, networkOf, parseIP, parsePrefix, sameIP, type IP } from '../../lib/net.ts'
import { bestRoutes, isInterfaceName, parseIfInet6, parseIpAddr, parseRoutes } from '../../lib/netif.ts'

const ip = (text: string): IP => {
  const a = parseIP(text)
  if (!a) throw new Error(`test address ${text} does not parse`)
  return a
}
const canonical = (text: string) => formatIP(ip(text))

t.test('IPv4: dotted quads only, no leading zeros', async (t) => {
  t.same(parseIP('10.0.0.5'), { family: 4, value: 0x0a000005n })
  t.equal(canonical(' 192.168.1.255 '), '192.168.1.255')
  for (const bad of ['10.0.0.256', '10.0.0', '10.0.0.5.1', '10.0.0.05', '010.0.0.5', '1e1.0.0.1', '', '10.0.0.-1', '0x0a.0.0.1']) {
    t.equal(parseIP(bad), undefined, `"${bad}" refused`)
  }
})

t.test('isIPv4 reads as inet_pton and node:net do (ha.cf mcast groups, mon tcp hosts)', async (t) => {
  for (const text of ['10.0.0.5', '0.0.0.0', '255.255.255.255', '239.0.0.1', '239.000.0.1', '010.0.0.5', '10.1', '256.0.0.1', ' 10.0.0.5', '::1', 'db1', '']) {
    t.equal(isIPv4(text), nodeIsIPv4(text), `"${text}"`)
  }
})

t.test('IPv6: every spelling of one address is one value, printed as ip(8) prints it', async (t) => {
  const spellings = ['2001:db8::5', '2001:DB8::5', '2001:0db8:0000:0000:0000:0000:0000:0005', '2001:db8:0:0::0:5', '2001:db8::0.0.0.5']
  for (const s of spellings) {
    t.ok(sameIP(ip(s), ip('2001:db8::5')), s)
    t.equal(canonical(s), '2001:db8::5', `${s} → 2001:db8::5`)
  }
  // RFC 5952: the longest zero run, the first of equal runs, never a single group
  t.equal(canonical('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1')
  t.equal(canonical('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1')
  t.equal(canonical('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1')
  t.equal(canonical('::'), '::')
  t.equal(canonical('::1'), '::1')
  t.equal(canonical('fe80::'), 'fe80::')
  t.equal(canonical('::ffff:10.0.0.1'), '::ffff:10.0.0.1')
  t.equal(canonical('1:2:3:4:5:6:7::'), '1:2:3:4:5:6:7:0')
  for (const bad of ['2001:db8::5::1', '2001:db8:0:0:0:0:0:0:5', '2001:db8:0:0:0:0:5', '12345::1', 'fe80::1%eth0', '2001:db8::g', ':::', '2001:db8::10.0.0.256']) {
    t.equal(parseIP(bad), undefined, `"${bad}" refused`)
  }
  t.notOk(sameIP(ip('::a00:5'), ip('10.0.0.5')), 'families differ even when the numbers do not')
})

t.test('prefixes: bits or contiguous IPv4 netmasks', async (t) => {
  t.equal(parsePrefix('24', 4), 24)
  t.equal(parsePrefix('255.255.255.0', 4), 24)
  t.equal(parsePrefix('255.255.255.255', 4), 32)
  t.equal(parsePrefix('0.0.0.0', 4), 0)
  t.equal(parsePrefix('255.255.254.0', 4), 23)
  t.equal(parsePrefix('64', 6), 64)
  t.equal(parsePrefix('128', 6), 128)
  for (const [bad, family] of [['33', 4], ['255.0.255.0', 4], ['255.255.255.1', 4], ['129', 6], ['ffff:ffff::', 6], ['24a', 4], ['', 4]] as const) {
    t.equal(parsePrefix(bad, family), undefined, `"${bad}" refused for IPv${family}`)
  }
  t.equal(maskOf(4, 24), 0xffffff00n)
  t.equal(maskOf(6, 0), 0n)
})

t.test('networks and broadcasts', async (t) => {
  t.equal(formatIP(networkOf(ip('10.1.2.3'), 16)), '10.1.0.0')
  t.equal(formatIP(networkOf(ip('2001:db8:1:2::5'), 48)), '2001:db8:1::')
  t.equal(formatIP(broadcastOf(ip('10.1.2.3'), 24)!), '10.1.2.255')
  t.equal(formatIP(broadcastOf(ip('10.1.2.3'), 30)!), '10.1.2.3')
  t.equal(broadcastOf(ip('10.1.2.3'), 31), undefined, '/31 point-to-point: none')
  t.equal(broadcastOf(ip('10.1.2.3'), 32), undefined)
  t.equal(broadcastOf(ip('2001:db8::1'), 64), undefined, 'IPv6: none')
  t.ok(inNetwork(ip('10.0.0.200'), ip('10.0.0.0'), 24))
  t.notOk(inNetwork(ip('10.0.1.1'), ip('10.0.0.0'), 24))
  t.notOk(inNetwork(ip('::a00:1'), ip('10.0.0.0'), 8), 'never across families')
  t.ok(isLinkLocal(ip('fe80::1')) && isLinkLocal(ip('febf::1')) && !isLinkLocal(ip('fec0::1')))
  t.ok(isLoopback(ip('127.3.0.1')) && isLoopback(ip('::1')) && !isLoopback(ip('10.0.0.1')))
  t.ok(isMulticast(ip('239.1.1.1')) && isMulticast(ip('ff02::1')) && !isMulticast(ip('10.0.0.1')))
})

t.test('interface names', async (t) => {
  for (const good of ['eth0', 'enp0s31f6', 'bond0.100', 'a-very-long-nm1']) t.ok(isInterfaceName(good), good)
  for (const bad of ['', 'eth0:1', 'a/b', 'eth 0', '.', '..', 'a-very-long-name']) t.notOk(isInterfaceName(bad), `"${bad}"`)
})

t.test('what ip(8) and /proc say, parsed', async (t) => {
  const inet6 = [
    '20010db8000000000000000000000005 02 40 00 c0       eth0',
    'fe80000000000000347dbbfffe95fcd4 02 40 20 80       eth0',
    '20010db8000000000000000000000006 02 40 00 88       eth1',
    '00000000000000000000000000000001 01 80 10 80       lo',
  ].join('\n')
  const six = parseIfInet6(inet6)
  t.equal(six.length, 4)
  t.same({ ...six[0], ip: formatIP(six[0].ip) }, { ip: '2001:db8::5', prefix: 64, nic: 'eth0', tentative: true, dadFailed: false })
  t.same([six[2].tentative, six[2].dadFailed, six[3].prefix], [false, true, 128])

  const addr = JSON.stringify([
    { ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.0.0.1', prefixlen: 24, label: 'eth0' }, { family: 'inet', local: '10.0.0.5', prefixlen: 24, label: 'eth0:vip' }] },
    { ifname: 'eth1', addr_info: [{ family: 'inet6', local: '2001:db8::5', prefixlen: 64, tentative: true }] },
    { ifname: 'dummy0' },
  ])
  t.same(
    parseIpAddr(addr).map((a) => [formatIP(a.ip), a.prefix, a.nic, a.label, a.tentative]),
    [['10.0.0.1', 24, 'eth0', undefined, false], ['10.0.0.5', 24, 'eth0', 'eth0:vip', false], ['2001:db8::5', 64, 'eth1', undefined, true]],
  )

  const routes = parseRoutes(
    JSON.stringify([
      { dst: 'default', gateway: '10.0.0.254', dev: 'eth0' },
      { dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.0.1' },
      { dst: '10.0.0.0/16', dev: 'eth1' },
      { dst: '10.0.0.0/24', dev: 'eth2' },
      { dst: '10.0.0.0/24', dev: 'eth0', protocol: 'static' },
      { dst: '10.9.0.0/16', gateway: '10.0.0.254', dev: 'eth0' },
      { dst: '2001:db8::1', dev: 'eth3' },
      { type: 'unreachable', dst: '10.8.0.0/16' },
    ]),
  )
  t.same(routes.map((r) => `${formatIP(r.net)}/${r.prefix} ${r.dev}`), ['10.0.0.0/24 eth0', '10.0.0.0/16 eth1', '10.0.0.0/24 eth2', '10.0.0.0/24 eth0', '2001:db8::1/128 eth3'], 'connected routes only; a bare IPv6 destination is a /128')
  t.same(bestRoutes(routes, ip('10.0.0.5')).map((r) => r.dev), ['eth0', 'eth2'], 'longest prefix, one per interface: two interfaces on one network')
  t.same(bestRoutes(routes.filter((r) => r.dev !== 'eth2'), ip('10.0.0.5')).map((r) => r.dev), ['eth0'])
  t.same(bestRoutes(routes, ip('10.0.9.5')).map((r) => r.dev), ['eth1'])
  t.same(bestRoutes(routes, ip('10.9.0.5')), [], 'routed through a gateway: on no interface')
})
