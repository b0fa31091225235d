// The lab's network namespaces (demo/netns.ts): lo up, a TCP hash of their own as a machine has (not the
// host's, which /proc's TCP table walks whole), the namespace they were created from gone at once, and
// they themselves at the scope's end.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { netns } from '../../demo/netns.ts'
import { ClosableScope } from '../../demo/scope.ts'
import { run, runOk } from '../../lib/exec.ts'

/** the namespaces this process named with `prefix` (demo/scope.ts's uniqueName: prefix, then our pid) */
const ours = (prefix: string) => readdirSync('/run/netns').filter((n) => n.startsWith(`${prefix}${process.pid.toString(36)}`))

t.test('a namespace has lo up and its own TCP hash; none is left of how it was made, nor of it after its scope', async (t) => {
  const scope = new ClosableScope()
  t.teardown(() => scope.close())
  const ns = await netns(scope, 'hnt')
  t.match(await runOk(['ip', '-n', ns, 'link', 'show', 'lo']), /state UNKNOWN|,UP/, 'lo is up')
  const own = await run(['ip', 'netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.tcp_ehash_entries'])
  // Linux before 6.1 has no such sysctl: the namespace shares the host's hash there
  if (own.code === 0) t.equal(own.stdout.trim(), '16384', 'a hash of its own (a shared one is negative)')
  t.same(ours('hnp'), [], 'the namespace it was created from is gone')
  t.same(ours('hnt'), [ns])
  scope.close()
  t.same(ours('hnt'), [], 'and it is gone at the end')
})
