// What the engine checks as it starts, as Heartbeat 3.0.6 does when it reads its files: every error of
// ha.cf, haresources and authkeys at once; respawn programs that cannot run and ping nodes whose names do
// not resolve refuse the start (file:line each); a bcast interface without a broadcast address is warned
// about. Name lookups happen only inside a virtual node whose resolver reads its own /etc/hosts.
import t from 'tap'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runOk } from '../../lib/exec.ts'
import { loadSettings } from '../../ha.d/settings.ts'
import { bin, cluster } from '../harness/cluster.ts'
import { virtualNode } from '../harness/node.ts'

const base = 'keepalive 200ms\ndeadtime 1\ninitdead 12\nbcast eth0\nnode nodea nodeb\nauto_failback on\nuse_logd no\nlogfile /var/lib/heartbeat/ha-log\n'

/** ha.cf (`base` then `more`), haresources and authkeys in DIR/etc/ha.d. */
function confDir(dir: string, more: string, authkeys = 'auth 1\n1 sha1 startup-checks\n'): string {
  const etc = join(dir, 'etc/ha.d')
  mkdirSync(etc, { recursive: true })
  writeFileSync(join(etc, 'ha.cf'), base + more)
  writeFileSync(join(etc, 'haresources'), 'nodea hbtest::r1\n')
  writeFileSync(join(etc, 'authkeys'), authkeys, { mode: 0o600 })
  chmodSync(join(etc, 'authkeys'), 0o600)
  return etc
}

t.test('errors in several files are all reported, each with file:line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-startup-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const etc = confDir(dir, 'realtime maybe\nwarntime soon\n', 'auth 1\n1 md5\n')
  t.throws(() => loadSettings(etc, 'nodea'), {
    name: 'ConfigErrors',
    message: [
      `${etc}/ha.cf:9: realtime maybe: write a boolean: on/off, yes/no, true/false, y/n, 1/0`,
      `${etc}/ha.cf:10: warntime soon: write a time greater than 0: seconds (warntime 2, warntime 0.5) or ms (warntime 500ms)`,
      `${etc}/authkeys:2: md5 needs a key: write 1 md5 YourSecret`,
    ].join('\n'),
  })
})

t.test('respawn programs that cannot run and ping names that do not resolve refuse the start, each named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-startup-node-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  confDir(
    dir,
    [
      'ping gateway', // line 9: no such name
      'ping router', // 10: in the node's /etc/hosts
      'ping 10.0.0.254', // 11: an address: nothing to resolve
      'ping_group uplinks router gateway2', // 12: one name unknown
      'respawn hacluster /etc/ha.d/no-such-client', // 13
      'respawn hacluster /etc/ha.d/not-executable', // 14
      'respawn hacluster /etc/ha.d/client', // 15: fine
      'respawn hacluster /usr/lib/heartbeat/dopd', // 16: an API client, never run, so not checked
    ].join('\n') + '\n',
  )
  writeFileSync(join(dir, 'etc/ha.d/not-executable'), '#!/bin/sh\n', { mode: 0o644 })
  writeFileSync(join(dir, 'etc/ha.d/client'), '#!/bin/sh\nsleep 1\n', { mode: 0o755 })
  // the node's resolver: its own files only, so no name ever leaves the machine
  writeFileSync(join(dir, 'nsswitch.conf'), 'hosts: files\n')
  writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n10.0.0.253 router\n')
  const node = await virtualNode(t, 'nodea', { dir })
  for (const file of ['nsswitch.conf', 'hosts']) await runOk(node.enter(['mount', '--bind', join(dir, file), `/etc/${file}`]))
  t.equal((await node.exec(['getent', 'hosts', 'router'])).stdout.trim(), '10.0.0.253      router', "the node resolves through its own /etc/hosts")

  const r = await node.exec([process.execPath, bin('halo-heartbeat'), '-f', '-c', '/etc/ha.d'], { timeout: 30_000 })
  t.not(r.code, 0, 'halo-heartbeat refuses to start')
  const said = [
    /\/etc\/ha\.d\/ha\.cf:13: respawn hacluster \/etc\/ha\.d\/no-such-client: \/etc\/ha\.d\/no-such-client is not an executable file \(ENOENT\)/,
    /\/etc\/ha\.d\/ha\.cf:14: respawn hacluster \/etc\/ha\.d\/not-executable: \/etc\/ha\.d\/not-executable is not an executable file \(EACCES\)/,
    /\/etc\/ha\.d\/ha\.cf:9: ping: unknown host gateway \(ENOTFOUND\): write its IPv4 address, or add the name to \/etc\/hosts/,
    /\/etc\/ha\.d\/ha\.cf:12: ping_group uplinks: unknown host gateway2 \(ENOTFOUND\)/,
  ]
  const lines = r.stderr.trim().split('\n')
  t.match(lines, said, 'every problem on stderr, with its line')
  t.equal(lines.length, said.length, 'and nothing about the lines that are right')
  const log = readFileSync(join(dir, 'var/lib/heartbeat/ha-log'), 'utf8')
  for (const re of said) t.match(log, new RegExp(`ERROR: ${re.source}`), 'and in the log')
  t.notOk(/router|10\.0\.0\.254|etc\/ha\.d\/client|dopd/.test(r.stderr), 'the right lines are not named')
})

t.test('a bcast interface whose address has no broadcast address is warned about, naming the line and the interface', async (t) => {
  const [a] = await cluster(t)
  // as `ip addr add 10.251.0.1/24 dev eth0` leaves it: no brd
  await runOk(['ip', '-n', a.netns, 'addr', 'flush', 'dev', 'eth0'])
  await runOk(['ip', '-n', a.netns, 'addr', 'add', `${a.address}/24`, 'dev', 'eth0'])
  await a.boot()
  t.match(
    a.haLog(),
    /WARN: \/etc\/ha\.d\/ha\.cf:6: bcast eth0: its address 10\.251\.0\.1\/24 has no broadcast address, so no heartbeat leaves on this medium and this node will find its peer dead/,
  )
})
