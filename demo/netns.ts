/** Network namespaces and veth links of the lab: addresses live only inside them. */
import { run, runOk } from '../lib/exec.ts'
import { type Scope, atEnd, uniqueName } from './scope.ts'

/** TCP hash buckets of each namespace: room for 8192 TIME_WAITs (a server answering the users 50 times a second keeps 3000) */
const TCP_HASH = 16384

/** A fresh network namespace with lo up, named `prefix`…, deleted when the scope ends. */
export async function netns(scope: Scope, prefix = 'hns'): Promise<string> {
  const name = uniqueName(prefix)
  // created from a namespace of its own whose sysctl gives the namespaces it creates a TCP hash of their
  // own (Linux 6.1), as a machine has: else each shares the host's (262144 buckets here), which /proc's TCP
  // table of each walks whole, 1 to 4 ms a read, and the lab's watcher reads two every 10 ms
  const parent = uniqueName('hnp')
  await runOk(['ip', 'netns', 'add', parent])
  const dropParent = atEnd(scope, ['ip', 'netns', 'del', parent])
  try {
    const own = await run(['ip', 'netns', 'exec', parent, 'sysctl', '-qw', `net.ipv4.tcp_child_ehash_entries=${TCP_HASH}`])
    await runOk(own.code === 0 ? ['nsenter', `--net=/run/netns/${parent}`, 'ip', 'netns', 'add', name] : ['ip', 'netns', 'add', name])
  } finally {
    dropParent()
  }
  atEnd(scope, ['ip', 'netns', 'del', name])
  await runOk(['ip', '-n', name, 'link', 'set', 'lo', 'up'])
  return name
}

/** A veth pair between two namespaces, each end renamed to `ifname` and up. Returns the MAC of each end. */
export async function veth(nsA: string, nsB: string, ifname = 'eth0'): Promise<{ macA: string; macB: string }> {
  const a = uniqueName('hva')
  const b = uniqueName('hvb')
  await runOk(['ip', 'link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB])
  await runOk(['ip', '-n', nsA, 'link', 'set', a, 'name', ifname])
  await runOk(['ip', '-n', nsB, 'link', 'set', b, 'name', ifname])
  await runOk(['ip', '-n', nsA, 'link', 'set', ifname, 'up'])
  await runOk(['ip', '-n', nsB, 'link', 'set', ifname, 'up'])
  return { macA: await mac(nsA, ifname), macB: await mac(nsB, ifname) }
}

export async function mac(ns: string, ifname: string): Promise<string> {
  const out = await runOk(['ip', '-n', ns, '-o', 'link', 'show', ifname])
  return /link\/ether ([0-9a-f:]{17})/.exec(out)![1]
}

/** argv run inside the namespace */
export const inNetns = (ns: string, argv: readonly string[]): string[] => ['ip', 'netns', 'exec', ns, ...argv]
