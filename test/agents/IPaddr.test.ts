// IPaddr against the real parts: a node namespace and a peer namespace joined by a veth pair; the peer
// captures what the agent announces. Every address lives only inside these namespaces.
import t, { type Test } from 'tap'
import { statSync, existsSync, readFileSync } from 'node:fs'
import { run, runOk } from '../../lib/exec.ts'
import { isAlive, waitForExit } from '../../lib/process.ts'
import { crmLifecycle, crmResource, ocf, ocfTester, v1 } from '../harness/agent.ts'
import { capture } from '../harness/capture.ts'
import { atEnd } from '../harness/cleanup.ts'
import { inNetns, netns, veth } from '../harness/netns.ts'
import { until } from '../../lib/wait.ts'

interface Pair {
  node: string
  peer: string
  /** MAC of the node's eth0 */
  mac: string
}

/** node eth0 10.20.0.1/24 and 2001:db8:20::1/64 <-> peer eth0 */
async function pair(tt: Test): Promise<Pair> {
  const node = await netns(tt)
  const peer = await netns(tt)
  const { macA } = await veth(node, peer)
  await runOk(['ip', '-n', node, 'addr', 'add', '10.20.0.1/24', 'dev', 'eth0'])
  await runOk(['ip', '-n', node, 'addr', 'add', '2001:db8:20::1/64', 'dev', 'eth0', 'nodad'])
  atEnd(tt, ['rmdir', '--ignore-fail-on-non-empty', '/run/halo/IPaddr', '/run/halo'])
  return { node, peer, mac: macA }
}

/** `ip -o addr show dev eth0` in the node: one line per address (the kernel's own link-local left out) */
const addrs = async (ns: string) =>
  (await runOk(['ip', '-n', ns, '-o', 'addr', 'show', 'dev', 'eth0'])).split('\n').filter((l) => !l.includes('scope link')).join('\n')
/** the tools' own environment, not the test runner's (whose NODE_OPTIONS would follow into the agent) */
const env = { PATH: process.env.PATH }
const pidFile = (ns: string, ip: string) => `/run/halo/IPaddr/${ip}@net${statSync(`/run/netns/${ns}`).ino}.pid`

t.test('IPv4: start finds nic and prefix, announces with gratuitous ARP; monitor; stop', async (t) => {
  const { node, peer, mac } = await pair(t)
  const cap = await capture(t, peer, 'eth0', ['arp'])
  const params = { ip: '10.20.0.5', arp_count: '3', arp_interval: '100' }
  t.equal((await ocf('IPaddr', 'monitor', { params, netns: node })).code, 7, 'not running before start')
  const started = await ocf('IPaddr', 'start', { params, netns: node })
  t.equal(started.code, 0, started.stderr)
  t.match(await addrs(node), /inet 10\.20\.0\.5\/24 brd 10\.20\.0\.255 scope global secondary eth0/, 'on eth0, /24 and broadcast from the connected network')

  const esc = mac.replace(/:/g, '\\:')
  const req = new RegExp(`^\\S+ ${esc} > ff:ff:ff:ff:ff:ff, .*Request who-has 10\\.20\\.0\\.5 tell 10\\.20\\.0\\.5,`)
  const rep = new RegExp(`^\\S+ ${esc} > ff:ff:ff:ff:ff:ff, .*Reply 10\\.20\\.0\\.5 is-at ${esc},`)
  const lines = await cap.waitFor('3 ARP request/reply pairs', (ls) => ls.filter((l) => req.test(l)).length >= 3 && ls.filter((l) => rep.test(l)).length >= 3)
  t.equal(lines.filter((l) => req.test(l)).length, 3, 'arp_count gratuitous requests, from the node MAC, for the address')
  t.equal(lines.filter((l) => rep.test(l)).length, 3, 'and as many gratuitous replies')
  t.notOk(lines.some((l) => !req.test(l) && !rep.test(l)), 'nothing else announced')

  t.equal((await ocf('IPaddr', 'monitor', { params, netns: node })).code, 0, 'running')
  t.equal((await ocf('IPaddr', 'start', { params, netns: node })).code, 0, 'start again: still 0')
  t.equal((await ocf('IPaddr', 'stop', { params, netns: node })).code, 0, 'stop')
  t.notMatch(await addrs(node), /10\.20\.0\.5\//, 'address removed')
  t.match(await addrs(node), /10\.20\.0\.1\/24/, 'the node address stays')
  t.equal((await ocf('IPaddr', 'monitor', { params, netns: node })).code, 7, 'not running after stop')
  t.equal((await ocf('IPaddr', 'stop', { params, netns: node })).code, 0, 'stop again: still 0')
})

t.test('stop ends the announcer that start left running', async (t) => {
  const { node, peer } = await pair(t)
  const cap = await capture(t, peer, 'eth0', ['arp'])
  const params = { ip: '10.20.0.7', nic: 'eth0', cidr_netmask: '24', arp_count: '1000', arp_interval: '50' }
  t.equal((await ocf('IPaddr', 'start', { params, netns: node })).code, 0)
  const file = pidFile(node, '10.20.0.7')
  const pid = Number(readFileSync(file, 'utf8'))
  t.ok(isAlive(pid), 'the announcer runs after start returned')
  await cap.waitFor('the first announcement', (ls) => ls.length > 0)
  t.equal((await ocf('IPaddr', 'stop', { params, netns: node })).code, 0)
  // stop KILLs it and does not wait for the exit (some 60 ms): that wait is the test's, bounded
  t.ok(await waitForExit([pid], performance.now() + 2000), 'stop ended it')
  t.notOk(existsSync(file), 'and removed its pid file')
})

t.test('IPv6: any spelling, DAD awaited, unsolicited neighbour advertisement', async (t) => {
  const { node, peer, mac } = await pair(t)
  const cap = await capture(t, peer, 'eth0', ['icmp6'])
  const written = { ip: '2001:DB8:20:0:0:0:0:5', arp_count: '2', arp_interval: '100' }
  const started = await ocf('IPaddr', 'start', { params: written, netns: node })
  t.equal(started.code, 0, started.stderr)
  const line = (await addrs(node)).split('\n').find((l) => l.includes('2001:db8:20::5/64'))
  t.ok(line, 'added in canonical form with the /64 of the connected network')
  t.notMatch(line!, /tentative/, 'start returned after duplicate address detection')
  const na = new RegExp(`^\\S+ ${mac.replace(/:/g, '\\:')} > 33:33:00:00:00:01, .*2001:db8:20::5 > ff02::1: ICMP6, neighbor advertisement, tgt is 2001:db8:20::5,`)
  const lines = await cap.waitFor('2 neighbour advertisements', (ls) => ls.filter((l) => na.test(l)).length >= 2)
  t.equal(lines.filter((l) => na.test(l)).length, 2, 'arp_count advertisements from the node MAC to all nodes')
  const other = { ip: '2001:db8:20::0:5' }
  t.equal((await ocf('IPaddr', 'monitor', { params: other, netns: node })).code, 0, 'monitor matches another spelling')
  t.equal((await ocf('IPaddr', 'stop', { params: other, netns: node })).code, 0)
  t.notMatch(await addrs(node), /2001:db8:20::5/, 'stop under another spelling removed it')
  t.equal((await ocf('IPaddr', 'monitor', { params: written, netns: node })).code, 7)
})

t.test('IPv6 nodad: usable at once', async (t) => {
  const { node } = await pair(t)
  const params = { ip: '2001:db8:20::6', nodad: 'true', arp_bg: 'false', arp_count: '1' }
  t.equal((await ocf('IPaddr', 'start', { params, netns: node })).code, 0)
  t.match(await addrs(node), /2001:db8:20::6\/64 scope global nodad/)
  t.equal((await ocf('IPaddr', 'stop', { params, netns: node })).code, 0)
})

t.test('the old parameter name netmask still sets the prefix', async (t) => {
  const { node } = await pair(t)
  const params = { ip: '10.20.0.9', nic: 'eth0', netmask: '255.255.0.0' }
  t.equal((await ocf('IPaddr', 'start', { params, netns: node })).code, 0)
  t.match(await addrs(node), /inet 10\.20\.0\.9\/16 brd 10\.20\.255\.255 /)
  t.equal((await ocf('IPaddr', 'stop', { params, netns: node })).code, 0)
  t.notMatch(await addrs(node), /10\.20\.0\.9\//)
})

t.test('monitor: running only while the link is up with carrier', async (t) => {
  const { node, peer } = await pair(t)
  const params = { ip: '10.20.0.8' }
  t.equal((await ocf('IPaddr', 'start', { params, netns: node })).code, 0)
  await runOk(['ip', '-n', peer, 'link', 'set', 'eth0', 'down'])
  await until('carrier lost', async () => (await run(inNetns(node, ['cat', '/sys/class/net/eth0/carrier']))).stdout.trim() === '0')
  const noCarrier = await ocf('IPaddr', 'monitor', { params, netns: node })
  t.equal(noCarrier.code, 1, 'peer down: failed, not running')
  t.match(noCarrier.stderr, /ocf-exit-reason:10\.20\.0\.8 is on eth0, but eth0 is up but has no carrier/)
  const v1Status = await v1('IPaddr', ['10.20.0.8'], 'status', { netns: node })
  t.match(v1Status.stdout, /^stopped$/m, 'Heartbeat sees it stopped')
  await runOk(['ip', '-n', node, 'link', 'set', 'eth0', 'down'])
  const down = await ocf('IPaddr', 'monitor', { params, netns: node })
  t.equal(down.code, 1)
  t.match(down.stderr, /eth0 is down \(ip link set eth0 up\)/)
  await runOk(['ip', '-n', peer, 'link', 'set', 'eth0', 'up'])
  const restarted = await ocf('IPaddr', 'start', { params, netns: node })
  t.equal(restarted.code, 0, `start brings the link back up: ${restarted.stderr}`)
  t.equal((await ocf('IPaddr', 'monitor', { params, netns: node })).code, 0, 'running again')
  t.equal((await ocf('IPaddr', 'stop', { params, netns: node })).code, 0)
})

t.test('bad parameters: the right code and reason, nothing changed', async (t) => {
  const { node } = await pair(t)
  const before = await addrs(node)
  const cases: [string, Record<string, string>, RegExp][] = [
    ['bad IP', { ip: '10.20.0.300' }, /parameter ip: "10\.20\.0\.300" is not an IPv4 or IPv6 address/],
    ['octal-looking IP', { ip: '10.20.0.010' }, /parameter ip: "10\.20\.0\.010" is not/],
    ['bad netmask', { ip: '10.20.0.9', cidr_netmask: '255.0.255.0' }, /parameter cidr_netmask: "255\.0\.255\.0" is not a prefix length \(1-32\) or a netmask/],
    ['prefix too long', { ip: '10.20.0.9', cidr_netmask: '33' }, /parameter cidr_netmask: "33"/],
    ['nic that does not exist', { ip: '10.20.0.9', nic: 'eth9' }, /parameter nic: there is no interface eth9 on this host/],
    ['address matching no interface', { ip: '192.0.2.9' }, /ip 192\.0\.2\.9 matches no interface/],
    ['IPv6 broadcast', { ip: '2001:db8:20::9', broadcast: '2001:db8:20::ff' }, /parameter broadcast: IPv6 has no broadcast/],
    ['label too long', { ip: '10.20.0.9', nic: 'eth0', iflabel: 'averylonglabel' }, /parameter iflabel: "eth0:averylonglabel" is not a label of at most 15/],
    ['arp_count 0', { ip: '10.20.0.9', arp_count: '0' }, /parameter arp_count: 0 must be at least 1/],
    ['unknown sender', { ip: '10.20.0.9', arp_sender: 'libnet_arping' }, /parameter arp_sender: "libnet_arping" is not one of send_arp, iputils_arping/],
  ]
  for (const [what, params, reason] of cases) {
    for (const action of ['start', 'validate-all']) {
      const r = await ocf('IPaddr', action, { params, netns: node })
      t.equal(r.code, 6, `${what}: ${action} 6`)
      t.match(r.stderr, reason, `${what}: ${action} names the parameter`)
    }
  }
  t.equal(await addrs(node), before, 'no address added or removed')
  const nicGone = { ip: '10.20.0.9', nic: 'eth9' }
  t.equal((await ocf('IPaddr', 'monitor', { params: nicGone, netns: node })).code, 7, 'a probe on a node without the nic: not running')
  t.equal((await ocf('IPaddr', 'stop', { params: nicGone, netns: node })).code, 0, 'stop there: stopped')
  const v1Bad = await v1('IPaddr', ['10.20.0.9/24/eth0/x/y'], 'start', { netns: node })
  t.equal(v1Bad.code, 1, 'v1: a malformed argument fails the start')
  t.match(v1Bad.stderr, /"10\.20\.0\.9\/24\/eth0\/x\/y" is not ip\[\/bits/)
})

t.test('Heartbeat v1: ip/bits/nic:label/brd, and a bare IP', async (t) => {
  const { node } = await pair(t)
  const full = ['10.20.0.11/24/eth0:vip/10.20.0.127']
  const started = await v1('IPaddr', full, 'start', { netns: node })
  t.equal(started.code, 0, `${started.signal ?? ''} ${started.stderr}`)
  t.match(await addrs(node), /inet 10\.20\.0\.11\/24 brd 10\.20\.0\.127 scope global secondary eth0:vip/)
  const status = await v1('IPaddr', full, 'status', { netns: node })
  t.equal(status.stdout, 'running\n')
  t.equal((await v1('IPaddr', full, 'stop', { netns: node })).code, 0)
  t.equal((await v1('IPaddr', full, 'status', { netns: node })).stdout, 'stopped\n')

  const bare = ['10.20.0.12'] // haresources `node1 10.20.0.12` runs IPaddr::10.20.0.12
  const bareStarted = await v1('IPaddr', bare, 'start', { netns: node })
  t.equal(bareStarted.code, 0, `${bareStarted.signal ?? ''} ${bareStarted.stderr}`)
  t.match(await addrs(node), /inet 10\.20\.0\.12\/24 brd 10\.20\.0\.255 scope global secondary eth0/)
  t.equal((await v1('IPaddr', bare, 'status', { netns: node })).stdout, 'running\n')
  t.equal((await v1('IPaddr', bare, 'stop', { netns: node })).code, 0)
  t.notMatch(await addrs(node), /10\.20\.0\.12/)

  const v6 = ['2001:db8:20:0:0:0:0:15/64/eth0'] // haresources splits on `::`: IPv6 is written out there
  t.equal((await v1('IPaddr', v6, 'start', { netns: node })).code, 0)
  t.match(await addrs(node), /inet6 2001:db8:20::15\/64 scope global/)
  t.equal((await v1('IPaddr', v6, 'status', { netns: node })).stdout, 'running\n')
  t.equal((await v1('IPaddr', v6, 'stop', { netns: node })).code, 0)
  t.notMatch(await addrs(node), /2001:db8:20::15/)
})

t.test('ocf-tester -v passes, IPv4 and IPv6', async (t) => {
  const { node } = await pair(t)
  for (const ip of ['10.20.0.13', '2001:db8:20::13']) {
    await ocfTester(t, 'IPaddr', { ip, arp_count: '1' }, { netns: node, env })
  }
  t.notMatch(await addrs(node), /10\.20\.0\.13|2001:db8:20::13/, 'left nothing behind')
})

t.test('crm_resource --force-start/--force-check/--force-stop', async (t) => {
  const { node } = await pair(t)
  const crm = await crmResource(t, 'IPaddr', { ip: '10.20.0.14' }, { netns: node, env })
  await crmLifecycle(t, crm, {
    started: async () => t.match(await addrs(node), /10\.20\.0\.14\/24/),
    stopped: async () => t.notMatch(await addrs(node), /10\.20\.0\.14/),
  })
  const bad = await crm('--force-start', '--option', 'nic=eth9')
  t.equal(bad.code, 6, 'a bad nic: not configured')
  t.match(bad.stdout + bad.stderr, /there is no interface eth9 on this host/, 'crm_resource shows the reason')
})
