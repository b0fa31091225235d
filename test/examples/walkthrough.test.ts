// The example README walked through as an admin would, block by block, on two virtual nodes
// (test/examples/site.ts): the README's code blocks are taken from its text and run in the node(s) its
// section names, as the admin pastes them into a root shell; the few lines a virtual node cannot run
// (systemctl, adduser, lvcreate) are mapped here, each next to its README step. Then a failover, then both
// nodes rebooted (power cut, then what the README enables at boot, in systemd's order from the units'
// After= lines) and the group found on exactly one of them with the data written before. A code block
// this walk does not follow fails it, so a new README step needs a step here.
// Needs `npm run build` first, and halo's package installed on this machine (./install.sh).
import t, { type Test } from 'tap'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, runOk, spawnDetached, type RunResult } from '../../lib/exec.ts'
import { until } from '../../lib/wait.ts'
import type { VirtualNode } from '../../demo/node.ts'
import { Watcher } from '../../demo/watch.ts'
import { loopExt4 } from '../harness/loop.ts'
import { EXAMPLE, LIB, SYSTEMD_PATH, buildSite, type Site } from './site.ts'

const README = readFileSync(join(EXAMPLE, 'README.md'), 'utf8')
const VIP = '192.0.2.10'
const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

interface Block {
  section: string
  text: string
}

/** the README's code blocks (lines indented by four spaces), each with the title of its section */
function codeBlocks(): Block[] {
  const blocks: Block[] = []
  let section = ''
  let open: string[] | undefined
  for (const line of README.split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3)
    if (/^ {4}/.test(line)) (open ??= []).push(line.slice(4))
    else if (open) {
      blocks.push({ section, text: open.join('\n') })
      open = undefined
    }
  }
  return blocks
}

/** the units as systemd reads them: the package's (the tree under test), else the installed one (drbd-utils') */
function unitText(unit: string): string {
  const file = [repo(`systemd/${unit}`), `/lib/systemd/system/${unit}`].find(existsSync)
  return file ? readFileSync(file, 'utf8') : ''
}
const after = (unit: string) => [...unitText(unit).matchAll(/^After=(.*)$/gm)].flatMap((m) => m[1].trim().split(/\s+/))

/** the units the README enables, in the order systemd starts them */
function bootOrder(): string[] {
  const enabled = [...README.matchAll(/systemctl enable (?:--now )?([\w@.-]+(?: [\w@.-]+)*)/g)].flatMap((m) => m[1].split(' ')).map((u) => (u.includes('.') ? u : `${u}.service`))
  return [...new Set(enabled)].sort((a, b) => (after(a).includes(b) ? 1 : after(b).includes(a) ? -1 : 0))
}

/** r0.res's startup section: seconds drbd.service waits for the peer (0: for ever) */
function wfcTimeouts(): { wfc: number; degraded: number } {
  const res = readFileSync(join(EXAMPLE, 'r0.res'), 'utf8').replace(/#.*$/gm, '')
  const value = (key: string) => Number(new RegExp(`\\b${key}\\s+(\\d+)\\s*;`).exec(res)?.[1] ?? 0)
  return { wfc: value('wfc-timeout'), degraded: value('degr-wfc-timeout') }
}

/** halo-heartbeat.service's ExecStart, run as systemd runs it: its PATH, no other environment, output to the journal */
async function startEngine(node: VirtualNode): Promise<void> {
  const argv = [...unitText('halo-heartbeat.service').matchAll(/^ExecStart=(.+)$/gm)].at(-1)![1].trim().split(/\s+/)
  const journal = openSync(join(node.dir, 'var/log/halo-heartbeat.journal'), 'a')
  spawnDetached(node.enter(['env', '-i', `PATH=${SYSTEMD_PATH}`, 'LANG=C.UTF-8', ...argv]), { stdout: journal })
  closeSync(journal)
  await until(`${node.name}'s engine to answer`, async () => (await node.exec(['cl_status', 'hbstatus'])).code === 0, 15_000)
}

/**
 * drbd.service's start (/lib/drbd/scripts/drbd start: `drbdadm adjust all`, then `drbdadm wait-con-int`),
 * which needs the kernel module: r0 up, then the wait for the peer that r0.res's startup section bounds
 * (degr-wfc-timeout when the node went down without its peer).
 */
async function startDrbd(t: Test, site: Site, node: VirtualNode, degraded: boolean): Promise<void> {
  if ((await node.exec(['drbdadm', 'role', 'r0'])).code !== 0) await runOk(node.enter(['drbdadm', 'up', 'r0']))
  const timeouts = wfcTimeouts()
  const seconds = degraded && timeouts.degraded > 0 ? timeouts.degraded : timeouts.wfc
  t.ok(seconds > 0, `${node.name}: r0.res bounds drbd.service's wait for the peer at boot (startup { wfc-timeout; degr-wfc-timeout; })`)
  // as wait-con-int, the boot goes on when the time is up (this walk waits 30 s at most)
  await until(`${node.name}: r0 connected`, () => site.drbd.r0().connected, Math.min(seconds || 30, 30) * 1000).catch(() => {})
}

/** power on, then the units the README enables, in systemd's order */
async function boot(t: Test, site: Site, node: VirtualNode, degraded: boolean): Promise<void> {
  await site.powerOn(node)
  for (const unit of bootOrder()) {
    if (unit === 'drbd.service') await startDrbd(t, site, node, degraded)
    else if (unit === 'halo-heartbeat.service') await startEngine(node)
    else t.fail(`the README enables ${unit}: this walk does not know what it starts`)
  }
}

t.test('the example README, followed on two nodes, comes back after both reboot', async (t) => {
  const site = await buildSite(t)
  const [node1, node2] = site.nodes
  // 4. "lvcreate -L 20G -n ha vg0" on each node: the double replicates nothing, so one loop device is
  // /dev/drbd0 on both nodes (the same data on both, as protocol C shows them), blank as a new device is
  const disk = await loopExt4(t, 512)
  await runOk(['wipefs', '-a', disk.device])
  const blocks = codeBlocks()
  const followed = new Set<Block>()
  /** the next block of the section whose title matches, not yet followed */
  const block = (section: RegExp, has?: string): Block => {
    const found = blocks.find((b) => section.test(b.section) && !followed.has(b) && (has === undefined || b.text.includes(has)))
    if (!found) throw new Error(`the README has no${has ? ` "${has}"` : ''} block in a section like ${section}`)
    followed.add(found)
    return found
  }
  /** a block pasted into the node's root shell, in this folder; /dev/drbd0 is the loop device */
  const paste = async (node: VirtualNode, text: string): Promise<RunResult> => {
    const script = text.replaceAll('/dev/drbd0', disk.device)
    const r = await run(node.enter(['env', '-i', `PATH=${SYSTEMD_PATH}`, 'HOME=/root', 'LANG=C.UTF-8', 'sh', '-ec', 'cd "$1"; eval "$2"', 'sh', EXAMPLE, script]), { timeout: 180_000 })
    t.equal(r.code, 0, `${node.name}: ${text.split('\n')[0]}${r.code ? `: ${r.stderr}` : ''}`)
    return r
  }
  const both = async (text: string) => {
    for (const n of site.nodes) await paste(n, text)
  }
  const mysqlClient = clientOf(t, site)
  let watcher: Watcher | undefined
  t.teardown(() => {
    watcher?.stop()
    if (t.passing()) return
    for (const n of site.nodes) {
      for (const log of ['ha-log', 'halo-heartbeat.journal'].map((f) => join(n.dir, 'var/log', f))) {
        t.comment(`${n.name}'s ${log}:\n${existsSync(log) ? readFileSync(log, 'utf8') : '(none)'}`)
      }
    }
    t.comment(`DRBD calls:\n${site.drbd.calls().join('\n')}\n${site.drbd.kernLog('node1')}${site.drbd.kernLog('node2')}`)
  })
  for (const n of site.nodes) await site.powerOn(n)

  // 1. The mysql account, same uid on both: addgroup/adduser would change this machine's accounts; the
  // two nodes share its /etc/passwd, so the uid is the same by construction
  t.match(block(/mysql account/).text, /adduser --system --uid (\d+)/, 'the README creates mysql with a fixed uid')
  const uids = await Promise.all(site.nodes.map(async (n) => (await runOk(n.enter(['id', '-u', 'mysql']))).trim()))
  t.equal(uids[0], uids[1], 'mysql has the same uid on both nodes')

  // 2. Install: `./install.sh --replace-v1` is the package as site.ts installs it in each node; the check
  // the README gives, with what it says it prints
  const check = block(/Install/, 'readlink')
  const expected = /^# (.*)$/m.exec(check.text)![1].split(/,\s*/)
  for (const n of site.nodes) {
    const got = (await paste(n, check.text.replace(/^#.*$/gm, ''))).stdout.trim().split('\n')
    const names = /readlink -f (.*)/.exec(check.text)![1].trim().split(/\s+/)
    for (const [i, name] of names.entries()) {
      // a diverted name is a link to halo's program; here it is halo's program bound over the name
      const same = got[i] === expected[i] || (await n.exec(['cmp', '-s', name, expected[i]])).code === 0
      t.ok(same, `${n.name}: ${name} is ${expected[i]}`)
    }
  }
  // "systemctl disable --now mariadb / heartbeat mon": nothing starts them in a virtual node
  t.match(block(/Install/, 'systemctl disable').text, 'systemctl disable --now mariadb', 'the README keeps MariaDB out of the boot')
  for (const n of site.nodes) {
    for (const daemon of ['mariadbd', 'heartbeat', 'mon']) t.not((await n.exec(['pidof', daemon])).code, 0, `${n.name}: no ${daemon} outside the cluster`)
  }

  // 3. The configuration files; "then edit": the secret stays the example's, the lab's links are eth0 and
  // eth1, its router is ha.cf's ping node, and the stonith_host lines stay commented out (no BMCs here)
  await both(block(/configuration files/).text)
  // the engine's Filesystem mounts DRBD's device: the loop device here, as in the commands
  for (const n of site.nodes) {
    const haresources = join(n.dir, 'etc/ha.d/haresources')
    writeFileSync(haresources, readFileSync(haresources, 'utf8').replaceAll('/dev/drbd0', disk.device))
  }

  // 4. The DRBD resource, on the double
  await both(block(/DRBD resource/, 'create-md').text)
  await paste(node1, block(/DRBD resource/, 'primary --force').text)
  t.match(README, /Wait for `drbdadm status r0`.*`peer-disk:UpToDate`/, 'the README says what to wait for')
  await until('peer-disk:UpToDate', async () => (await node1.exec(['drbdadm', 'status', 'r0'])).stdout.includes('peer-disk:UpToDate'), 30_000)

  // 5. At boot: drbd.service; enabling a unit is what bootOrder() reads
  t.match(block(/At boot/).text, /^systemctl enable drbd$/m, 'the README enables drbd.service')

  // 6. The datadir and the application server, on node1 (node2: `mkdir -p /srv/ha`, which its boot made)
  const datadir = block(/datadir/)
  t.match(datadir.text, /# install the application server under \/srv\/ha\/aggregate/, 'the README says where the application server goes')
  const [mountIt, rest] = datadir.text.split(/^# install the application server.*\n(?:#.*\n)*/m)
  await paste(node1, mountIt)
  // "install the application server under /srv/ha/aggregate, its init script at /srv/ha/aggregate/bin/linkserv
  // (it must write /run/linkserv.pid)": the demo's server (demo/appserver.ts) does
  const linkserv = node1.path('/srv/ha/aggregate/bin/linkserv')
  await runOk(['mkdir', '-p', dirname(linkserv)])
  writeFileSync(linkserv, `#!/bin/sh\nexec '${process.execPath}' ${LIB}/bin/halo demo-appserver "$@"\n`, { mode: 0o755 })
  await paste(node1, rest)

  // 7. Start: "systemctl enable --now halo-heartbeat" on both nodes
  t.match(block(/Start/, 'systemctl enable').text, /^systemctl enable --now halo-heartbeat$/m, 'the README starts halo-heartbeat')
  watcher = new Watcher(
    site.nodes.map((node) => ({ node, haLog: join(node.dir, 'var/log/ha-log') })),
    { vip: VIP, mountpoint: '/srv/ha', ports: { mysql: 3306, appserver: 6460, mon: 2583 } },
  )
  const w = watcher
  const holding = (name: string | undefined, ms: number) =>
    until(`${name ?? 'one node'} to run the whole group, the other nothing`, () => (name ? w.holder() === name : w.holder() !== undefined), ms).catch((e: Error) => t.fail(`${e.message}: ${w.describe()}`))
  await Promise.all(site.nodes.map(startEngine))
  await holding('node1', 90_000)
  const look = block(/Start/, 'cl_status rscstatus')
  for (const n of site.nodes) {
    const says = new RegExp(`${n.name}: (\\w+)`).exec(/cl_status rscstatus\s*#(.*)/.exec(look.text)![1])![1]
    t.equal((await paste(n, 'cl_status rscstatus')).stdout.trim(), says, `${n.name}: cl_status rscstatus says ${says}`)
  }
  t.match((await paste(node1, 'ip addr show eth1')).stdout, `inet ${VIP}/24`, `node1 has ${VIP}`)
  t.match((await paste(node1, 'tail /var/log/ha-log')).stdout, /heartbeat\[\d+\]/, "the engine's log is there")
  // the application's database and user, on node1; then the application's first row, through the virtual IP
  await paste(node1, block(/Start/, 'CREATE USER').text)
  await mysqlClient('CREATE TABLE orders (id INT PRIMARY KEY, node VARCHAR(32)) ENGINE=InnoDB; INSERT INTO orders VALUES (1, @@hostname)')
  t.equal(await mysqlClient('SELECT @@hostname'), 'node1', `MariaDB answers the application on ${VIP} from node1`)

  // 8. Test a failover: the machine dies
  await site.powerCut(node1)
  await holding('node2', 60_000)
  t.match(site.drbd.kernLog('node2'), /fence-peer helper returned 5 \(peer is unreachable, assumed to be dead\)/, "node2's DRBD asked r0.res's fence-peer handler, which found node1 dead")
  t.equal(await mysqlClient('SELECT @@hostname'), 'node2', `MariaDB answers on ${VIP} from node2`)
  await mysqlClient('INSERT INTO orders VALUES (2, @@hostname)')
  t.equal(await mysqlClient('SELECT GROUP_CONCAT(id ORDER BY id) FROM orders'), '1,2', 'the row committed on node1 is there, and node2 commits')
  t.equal((await paste(node2, 'cl_status rscstatus')).stdout.trim(), 'all', 'node2, which took the group over, says all')

  // Both nodes reboot: the power goes (node1 is still off), then both boot as the README left them
  await site.powerCut(node2)
  t.same([node1.up, node2.up], [false, false], 'both nodes are off')
  t.ok(bootOrder().includes('drbd.service'), 'the README enables drbd.service: r0 comes up at boot')
  t.ok(after('halo-heartbeat.service').includes('drbd.service'), 'halo-heartbeat.service starts after drbd.service')
  // node2 went down alone (degraded), node1 while connected
  await Promise.all([boot(t, site, node1, false), boot(t, site, node2, true)])
  await holding(undefined, 90_000)
  const holder = w.holder()
  t.ok(holder, `${holder} runs the whole group, the other node nothing`)
  t.equal(await mysqlClient('SELECT @@hostname'), holder, `MariaDB answers on ${VIP} from ${holder}`)
  t.equal(await mysqlClient('SELECT GROUP_CONCAT(id ORDER BY id) FROM orders'), '1,2', 'the rows written before the reboot are there')

  w.stop()
  t.same(w.violations, [], 'no resource ran on both nodes in any sample')
  const before = blocks.filter((b) => !/split brain/i.test(b.section))
  t.same(before.filter((b) => !followed.has(b)).map((b) => b.text), [], 'every code block of the procedure was followed')
})

/**
 * The application as MariaDB sees it: the README's user from the client's network, on the virtual IP,
 * its password in a client option file (never on a command line). Returns the query's output.
 */
function clientOf(t: Test, site: Site): (statement: string) => Promise<string> {
  const user = /CREATE USER '(\w+)'@'[^']*' IDENTIFIED BY '([^']*)'/.exec(README)
  const database = /CREATE DATABASE (\w+)/.exec(README)
  if (!user || !database) throw new Error("the README creates no application's user and database")
  const dir = mkdtempSync(join(tmpdir(), 'halo-walk-client-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const options = join(dir, 'client.cnf')
  writeFileSync(options, `[client]\nuser=${user[1]}\npassword=${user[2]}\n`, { mode: 0o600 })
  return async (statement) =>
    (await runOk(['ip', 'netns', 'exec', site.client, 'mariadb', `--defaults-extra-file=${options}`, '-h', VIP, '-N', '-B', database[1], '-e', statement], { timeout: 30_000 })).trim()
}
