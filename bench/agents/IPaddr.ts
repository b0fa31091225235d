// IPaddr: halo's agent beside resource-agents' IPaddr2 on the same namespace (a veth pair to a peer
// namespace, nic and prefix found from the routes, as most configurations leave them), interleaved run by
// run. Both run through `ip netns exec`, whose own cost is in the baseline rows.
import { fileURLToPath } from 'node:url'
import { run, runOk } from '../../lib/exec.ts'
import { median, printTable, timeOnce, type Row } from '../lib/measure.ts'

const agents = {
  halo: fileURLToPath(new URL('../../dist/agents/IPaddr', import.meta.url)),
  theirs: '/usr/lib/ocf/resource.d/heartbeat/IPaddr2',
}

export async function bench(runs: number): Promise<void> {
  const tag = process.pid.toString(36)
  const ns = `hbip${tag}`
  const peer = `hbpp${tag}`
  const times = new Map<string, number[]>()
  const add = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms])
  try {
    await runOk(['ip', 'netns', 'add', ns])
    await runOk(['ip', 'netns', 'add', peer])
    await runOk(['ip', 'link', 'add', `hbv${tag}`, 'netns', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer])
    await runOk(['ip', '-n', ns, 'link', 'set', `hbv${tag}`, 'name', 'eth0'])
    for (const n of [ns, peer]) for (const nic of ['lo', 'eth0']) await runOk(['ip', '-n', n, 'link', 'set', nic, 'up'])
    await runOk(['ip', '-n', ns, 'addr', 'add', '10.30.0.1/24', 'dev', 'eth0'])
    await runOk(['ip', '-n', ns, 'addr', 'add', '2001:db8:30::1/64', 'dev', 'eth0', 'nodad'])
    const inNs = (argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv]
    const base = { PATH: process.env.PATH }

    for (let i = 0; i < runs; i++) {
      add('ip netns exec true', await timeOnce(inNs(['true']), base))
      add('ip netns exec node -e 0', await timeOnce(inNs(['node', '-e', '0']), base))
      for (const [who, agent] of Object.entries(agents)) {
        for (const [label, ip] of [['', '10.30.0.5'], ['IPv6 ', '2001:db8:30::5']]) {
          const env = { ...base, OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'benchvip', OCF_RESKEY_ip: ip, OCF_RESKEY_CRM_meta_interval: '10000' }
          add(`${who} ${label}start`, await timeOnce(inNs([agent, 'start']), env))
          add(`${who} ${label}monitor (running)`, await timeOnce(inNs([agent, 'monitor']), env))
          add(`${who} ${label}stop`, await timeOnce(inNs([agent, 'stop']), env))
          add(`${who} ${label}monitor (stopped)`, await timeOnce(inNs([agent, 'monitor']), env, [7]))
        }
      }
    }
  } finally {
    await run(['ip', 'netns', 'del', ns])
    await run(['ip', 'netns', 'del', peer])
  }
  const steps = ['start', 'monitor (running)', 'stop', 'monitor (stopped)', 'IPv6 start', 'IPv6 monitor (running)', 'IPv6 stop', 'IPv6 monitor (stopped)']
  const rows: Row[] = [
    { what: 'ip netns exec true', halo: median(times.get('ip netns exec true')!) },
    { what: 'ip netns exec node -e 0', halo: median(times.get('ip netns exec node -e 0')!) },
    ...steps.map((step) => ({ what: step, halo: median(times.get(`halo ${step}`)!), theirs: median(times.get(`theirs ${step}`)!), against: 'resource-agents IPaddr2' })),
  ]
  printTable('IPaddr on a veth pair (nic and prefix from the routes)', rows, runs)
}
