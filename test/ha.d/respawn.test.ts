// ha.cf's respawn and failfast lines in a two-node cluster of virtual nodes: the client runs as its user
// with Heartbeat's environment, comes back when killed, is given up when it keeps dying at once, stops
// with the engine; a failfast client's death makes its node hand its groups over; Heartbeat API clients
// (ipfail, dopd) are reported once and not run.
import t from 'tap'
import { chmodSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runOk } from '../../lib/exec.ts'
import { commandLine, isAlive } from '../../lib/process.ts'
import { until } from '../../lib/wait.ts'
import { cluster, type HaloNode } from '../harness/cluster.ts'
import { atHome, calls, placed } from '../harness/scenario.ts'

const USER = 'hacluster'
/** ha.cf's first line after the harness's six (keepalive … bcast) */
const FIRST_LINE = 7

/** Puts an executable script at /etc/ha.d/NAME of each node. */
function script(nodes: readonly HaloNode[], name: string, text: string): void {
  for (const n of nodes) {
    const file = join(n.dir, 'etc/ha.d', name)
    writeFileSync(file, `#!/bin/sh\n${text}\n`)
    chmodSync(file, 0o755)
  }
}

/** The pids of the node's processes whose command line names `marker`. */
function pidsOf(node: HaloNode, marker: string): number[] {
  const ns = readlinkSync(`/proc/${node.vm.pid}/ns/pid`)
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => {
      try {
        // not the node's init, whose argv carries the command it boots (the engine)
        return pid !== node.vm.pid && readlinkSync(`/proc/${pid}/ns/pid`) === ns && (commandLine(pid) ?? []).some((a) => a.includes(marker))
      } catch {
        return false // gone meanwhile
      }
    })
}

const statusField = (pid: number, field: string) => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1].split(/\s+/)
const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0

t.test('respawn: as its user, restarted when killed, given up when it dies at once, stopped with the engine; API clients not run', async (t) => {
  const [a, b] = await cluster(t, {
    hacf: [
      `respawn ${USER} /etc/ha.d/client-sleeps --marker`,
      `respawn ${USER} /etc/ha.d/client-fails`,
      `respawn ${USER} /usr/libexec/heartbeat/ipfail`,
      `respawn ${USER} /usr/lib/heartbeat/dopd`,
      'env FOO=bar',
    ].join('\n'),
  })
  script([a, b], 'client-sleeps', 'while :; do sleep 1; done')
  script([a, b], 'client-fails', 'exit 1')
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)

  await until('the client running on nodea', () => pidsOf(a, 'client-sleeps').length === 1, 10_000)
  const [pid] = pidsOf(a, 'client-sleeps')
  t.same(commandLine(pid), ['/bin/sh', '/etc/ha.d/client-sleeps', '--marker'], 'its own argv, no shell line')
  const [uid, gid, groups] = await Promise.all([runOk(['id', '-u', USER]), runOk(['id', '-g', USER]), runOk(['id', '-G', USER])])
  t.same(statusField(pid, 'Uid'), Array(4).fill(uid.trim()), `runs as ${USER}`)
  t.same(statusField(pid, 'Gid'), Array(4).fill(gid.trim()), "with the user's group")
  t.same(statusField(pid, 'Groups').filter(Boolean).sort(), groups.trim().split(' ').sort(), "and the user's supplementary groups")
  const env = environ(pid)
  for (const v of ['HA_FOO=bar', 'HA_DIR=/etc/ha.d', 'HA_cluster_type=heartbeat', 'HA_CURHOST=nodea', 'HA_keepalive=200ms']) t.ok(env.includes(v), `environment has ${v}`)
  t.equal(readlinkSync(`/proc/${pid}/fd/0`), '/dev/null', 'stdin on /dev/null')
  const log = a.haLog()
  t.ok(log.indexOf('communication with the peer is up') < log.indexOf('Starting "/etc/ha.d/client-sleeps'), 'started once communication is up')

  process.kill(pid, 'SIGKILL')
  await until('the client back on nodea', () => pidsOf(a, 'client-sleeps').some((p) => p !== pid), 10_000)
  t.match(a.haLog(), /Client \/etc\/ha\.d\/client-sleeps --marker killed by signal SIGKILL/)
  t.match(a.haLog(), /Respawning client "\/etc\/ha\.d\/client-sleeps --marker"/)

  // exits at once: restarted a second later each time, given up after the eleventh short run (Heartbeat's count)
  await until('nodea gives the failing client up', () => /client-fails "respawning too fast"/.test(a.haLog()), 30_000)
  t.equal(count(a.haLog(), /Starting "\/etc\/ha\.d\/client-fails"/), 11, 'started 11 times')
  t.match(a.haLog(), new RegExp(`client-fails "respawning too fast" \\(/etc/ha\\.d/ha\\.cf:${FIRST_LINE + 1}\\): given up`))

  for (const [i, name, instead] of [[2, 'ipfail', /ping-node rules/], [3, 'dopd', /drbd-peer-outdater/]] as const) {
    const said = a.haLog().split('\n').filter((l) => l.includes(`ha.cf:${FIRST_LINE + i}: respawn ${USER}`))
    t.equal(said.length, 1, `${name}: said once`)
    t.match(said[0], /is a Heartbeat API client, which halo does not serve/)
    t.match(said[0], instead, `${name}: what halo does instead`)
    t.same(pidsOf(a, name), [], `${name} not run`)
  }

  const running = pidsOf(a, 'client-sleeps')
  await a.stop()
  t.ok(running.every((p) => !isAlive(p)), 'the client stops with the engine')
  t.same(pidsOf(a, 'client-sleeps'), [])
  t.match(a.haLog(), /stopping client "\/etc\/ha\.d\/client-sleeps --marker"/)
})

t.test('failfast: the client dies, its node leaves the cluster and hands its groups over', async (t) => {
  const [a, b] = await cluster(t, { hacf: `failfast ${USER} /etc/ha.d/client-watched` })
  script([a, b], 'client-watched', 'while :; do sleep 1; done')
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  await until('the failfast client running on nodea', () => pidsOf(a, 'client-watched').length === 1, 10_000)
  const startsBefore = calls(b, 'start').length

  process.kill(pidsOf(a, 'client-watched')[0], 'SIGKILL')
  await placed(a, b, [])
  t.match(a.haLog(), new RegExp(`failfast client "/etc/ha\\.d/client-watched" \\(/etc/ha\\.d/ha\\.cf:${FIRST_LINE}\\) died: this node leaves the cluster`))
  t.match(a.haLog(), /shutdown requested: giving up resources/)
  await until("nodea's engine gone", () => pidsOf(a, 'halo-heartbeat').length === 0, 30_000)
  t.same(calls(b, 'start').slice(startsBefore), ['start r1', 'start r2'], 'nodeb took the group over')
  t.equal(await b.cmd('cl_status', 'rscstatus'), 'all')
})
