/** Network namespaces and veth links of the lab: addresses live only inside them. */
import { runOk } from '../lib/exec.ts'
import { type Scope, atEnd, uniqueName } from './scope.ts'

/** A fresh network namespace with lo up, named `prefix`…, deleted when the scope ends. */
export async function netns(scope: Scope, prefix = 'hns'): Promise<string> {
  const name = uniqueName(prefix)
  await runOk(['ip', 'netns', 'add', name])
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
