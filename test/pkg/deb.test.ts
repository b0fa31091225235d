// The package on a fresh Debian 12 (debootstrap, cached): it installs with apt, its programs and agents run,
// the OCF links and man pages are there, nothing is enabled, an upgrade keeps the admin's conffile, the
// documented v1-name replacement is undone by removal, remove keeps the configuration, purge leaves the
// tree as it was. Then lintian.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import t from 'tap'
import { run } from '../../lib/exec.ts'
import { buildDeb } from '../../pkg/deb.ts'
import { cachedTree, dependsNames, overlayOf, packageDepends } from './tree.ts'

const root = process.getuid?.() === 0
const tools = await Promise.all(['debootstrap', 'dpkg-repack', 'unshare'].map((p) => run(['sh', '-c', 'command -v "$1"', 'sh', p])))
const missing = tools.some((r) => r.code !== 0)
/** test/setup.sh makes the tree (debootstrap takes minutes the first time, more than a test file may) */
const tree = root && !missing ? await cachedTree(packageDepends()) : undefined
const skip =
  (!root && 'needs root (chroot, mounts)') ||
  (missing && 'needs debootstrap and dpkg-repack (test/setup.sh installs them)') ||
  (!tree && 'no Debian 12 tree in /var/cache/halo-test: run test/setup.sh (npm test does)')

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
/** each program answers, by the path admins call it by */
const PROGRAMS: [string[], RegExp][] = [
  [['halo-heartbeat', '-V'], /^3\.0\.6 \(halo /],
  [['halo', '--help'], /halo demo\s+run the example cluster/],
  [['halo-mon', '-h'], /usage: halo-mon/],
  [['halo-drbd-peer-outdater', '-h'], /usage: drbd-peer-outdater/],
  [['/usr/lib/heartbeat/hb_standby', '-h'], /usage: hb_standby/],
  [['/usr/share/heartbeat/hb_takeover', '-h'], /usage: hb_takeover/],
  [['cl_status'], /Usage: cl_status/],
  [['/usr/lib/mon/alert.d/halo-recover.alert', '--help'], /usage: halo-recover\.alert/],
]
const AGENTS = ['IPaddr', 'IPaddr2', 'Filesystem', 'drbd', 'drbddisk', 'mysql', 'appserver']
/** the tree's files, except what apt, dpkg and man-db keep as their own records and caches */
const LIST = ['find', '/', '-xdev', '(', '-path', '/var/lib/dpkg', '-o', '-path', '/var/lib/apt', '-o', '-path', '/var/cache', '-o', '-path', '/var/log', '-o', '-path', '/tmp', ')', '-prune', '-o', '-printf', '%y %p\\n']

/** a package that owns one of Heartbeat's names, as the heartbeat package does */
const OTHER = 'halo-test-other'
const OUTDATER = '/usr/libexec/heartbeat/drbd-peer-outdater'
async function otherPackage(dir: string): Promise<void> {
  const root = join(dir, OTHER)
  mkdirSync(join(root, 'DEBIAN'), { recursive: true })
  mkdirSync(join(root, dirname(OUTDATER)), { recursive: true })
  writeFileSync(join(root, 'DEBIAN/control'), `Package: ${OTHER}\nVersion: 1\nArchitecture: all\nMaintainer: halo <halo@localhost>\nDescription: owns ${OUTDATER}\n`)
  writeFileSync(join(root, OUTDATER), `#!/bin/sh\necho ${OTHER}\n`, { mode: 0o755 })
  const r = await run(['dpkg-deb', '--root-owner-group', '--build', root, join(dir, `${OTHER}.deb`)])
  if (r.code !== 0) throw new Error(`dpkg-deb: ${r.stderr}`)
  rmSync(root, { recursive: true })
}

t.test('the package installs, upgrades, removes and purges on a fresh Debian 12', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-deb-test.'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const deb = await buildDeb(VERSION, dir)
  const newer = await buildDeb(`${VERSION}+test1`, dir)
  const depends = (await run(['dpkg-deb', '-f', deb, 'Depends'])).stdout
  t.notMatch(depends, /heartbeat|pacemaker|corosync|mariadb|mysql|mon\b/, `Depends pulls no cluster stack or service: ${depends}`)

  t.same(dependsNames(depends), packageDepends())
  const debian = overlayOf(tree!, dir)
  const sh = async (argv: string[]) => {
    const r = await debian.run(argv)
    return { ...r, out: r.stdout + r.stderr }
  }
  mkdirSync(join(debian.upper, 'tmp'))
  chmodSync(join(debian.upper, 'tmp'), 0o1777)
  for (const f of [deb, newer]) copyFileSync(f, join(debian.upper, 'tmp', basename(f)))
  await otherPackage(join(debian.upper, 'tmp'))
  const apt = (...args: string[]) => sh(['apt-get', '-y', '-q', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', '-o', 'Dpkg::Use-Pty=0', ...args])
  const before = (await sh(LIST)).stdout
  // an admin's own haresources script and another package's drbd-peer-outdater (as heartbeat's), which the
  // package keeps and `v1-names replace` moves aside and diverts
  await sh(['sh', '-c', 'mkdir -p /etc/ha.d/resource.d && echo "# mine" >/etc/ha.d/resource.d/Filesystem'])
  t.equal((await sh(['dpkg', '-i', `/tmp/${OTHER}.deb`])).code, 0, `${OTHER} installs ${OUTDATER}`)

  const install = await apt('install', `/tmp/${basename(deb)}`)
  t.equal(install.code, 0, 'apt-get installs it', { output: install.out.slice(-3000) })
  t.match(install.out, /halo: nothing is enabled; .*systemctl enable --now halo-heartbeat/, 'the postinst says what to do next')
  t.equal((await sh(['sh', '-c', 'ls /etc/systemd/system/*.wants 2>/dev/null | grep halo'])).stdout, '', 'no halo unit is enabled')

  for (const [argv, expect] of PROGRAMS) {
    const r = await sh(argv)
    t.equal(r.code, 0, `${argv.join(' ')} exits 0`)
    t.match(r.out, expect, `${argv.join(' ')}: ${r.out.slice(0, 200)}`)
    t.notMatch(r.out, /\n\s+at .+:\d+:\d+/, `${argv[0]} answers without a stack trace`)
  }
  const meta = await sh(['env', 'OCF_ROOT=/usr/lib/ocf', '/usr/lib/ocf/resource.d/halo/IPaddr', 'meta-data'])
  t.equal(meta.code, 0, 'IPaddr meta-data exits 0')
  t.match(meta.stdout, /<resource-agent name="IPaddr"/, 'an agent gives its meta-data')
  for (const agent of AGENTS) {
    const r = await sh(['test', '-x', `/usr/lib/ocf/resource.d/halo/${agent}`])
    t.equal(r.code, 0, `ocf:halo:${agent} leads to a program`)
  }
  const links = await sh(['readlink', '/etc/ha.d/resource.d/IPaddr', '/etc/ha.d/resource.d/mysqld', '/usr/bin/cl_status', '/usr/lib/heartbeat/hb_standby'])
  t.same(links.stdout.split('\n').filter(Boolean), ['/usr/lib/halo/agents/IPaddr', '/usr/lib/halo/agents/mysql', '/usr/lib/halo/bin/cl_status', '/usr/lib/halo/bin/hb_standby'], 'Heartbeat\'s names where nothing else has them')
  t.equal((await sh(['cat', '/etc/ha.d/resource.d/Filesystem'])).stdout, '# mine\n', "the admin's Filesystem is kept")
  for (const [page, path] of [
    ['halo-heartbeat', '/usr/share/man/man8/halo-heartbeat.8.gz'],
    ['halo', '/usr/share/man/man8/halo.8.gz'],
    ['ocf_halo_IPaddr', '/usr/share/man/man7/ocf_halo_IPaddr.7.gz'],
    ['hb_standby', '/usr/share/man/man1/hb_standby.1halo.gz'],
  ]) {
    t.equal((await sh(['man', '-w', page])).stdout.trim(), path, `man ${page}`)
  }
  const rendered = await sh(['env', 'MANWIDTH=80', 'man', 'ocf_halo_Filesystem'])
  t.match(rendered.stdout, /SUPPORTED PARAMETERS[\s\S]*device/, 'the agent page lists its parameters from the meta-data')
  const rotate = await sh(['logrotate', '-d', '/etc/logrotate.d/halo'])
  t.equal(rotate.code, 0, 'logrotate accepts /etc/logrotate.d/halo', { output: rotate.out })

  // the documented replacement: the admin's file moved aside for halo's link, and back on removal
  const replace = await sh(['/usr/lib/halo/v1-names', 'replace'])
  t.match(replace.out, /replaced the admin's \/etc\/ha.d\/resource.d\/Filesystem/)
  t.equal((await sh(['readlink', '/etc/ha.d/resource.d/Filesystem'])).stdout.trim(), '/usr/lib/halo/agents/Filesystem')
  t.match(replace.out, `replaced ${OUTDATER} of ${OTHER} (kept as ${OUTDATER}.distrib)`)
  t.equal((await sh(['readlink', OUTDATER])).stdout.trim(), '/usr/lib/halo/bin/drbd-peer-outdater')
  t.match((await sh(['dpkg-divert', '--list', OUTDATER])).stdout, `diversion of ${OUTDATER} to ${OUTDATER}.distrib by halo`)

  // upgrades, over itself and to a newer version: the admin's change to the conffile stays
  await sh(['sh', '-c', 'echo "# the admin was here" >>/etc/logrotate.d/halo'])
  const again = await apt('install', '--reinstall', `/tmp/${basename(deb)}`)
  t.equal(again.code, 0, 'apt-get reinstalls it over itself', { output: again.out.slice(-3000) })
  const upgrade = await apt('install', `/tmp/${basename(newer)}`)
  t.equal(upgrade.code, 0, 'apt-get upgrades it to a newer version', { output: upgrade.out.slice(-3000) })
  t.equal((await sh(['dpkg-query', '-W', '-f=${Version}', 'halo'])).stdout, `${VERSION}+test1`)
  t.match((await sh(['cat', '/etc/logrotate.d/halo'])).stdout, /# the admin was here/, 'the upgrade kept the conffile')
  t.equal((await sh(['readlink', '/etc/ha.d/resource.d/Filesystem'])).stdout.trim(), '/usr/lib/halo/agents/Filesystem', 'and the replacement')

  const remove = await apt('remove', 'halo')
  t.equal(remove.code, 0, 'apt-get removes it', { output: remove.out.slice(-3000) })
  t.equal((await sh(['dpkg-query', '-W', '-f=${db:Status-Abbrev}', 'halo'])).stdout.trim(), 'rc', 'removed, configuration kept')
  t.equal((await sh(['test', '-e', '/etc/logrotate.d/halo'])).code, 0, 'the conffile stays')
  t.equal((await sh(['test', '-e', '/usr/lib/halo'])).code, 1, 'the programs are gone')
  t.equal((await sh(['test', '-L', '/usr/bin/cl_status'])).code, 1, 'so are the Heartbeat names')
  t.equal((await sh(['cat', '/etc/ha.d/resource.d/Filesystem'])).stdout, '# mine\n', "the admin's Filesystem is back")
  t.equal((await sh([OUTDATER])).stdout, `${OTHER}\n`, `${OTHER}'s file is back`)
  t.equal((await sh(['dpkg-divert', '--list', OUTDATER])).stdout, '', 'and not diverted')

  // the admin's file goes, and the folder made for it
  await sh(['rm', '/etc/ha.d/resource.d/Filesystem'])
  if (!before.includes('d /etc/ha.d/resource.d\n')) await sh(['rmdir', '/etc/ha.d/resource.d'])
  await sh(['dpkg', '--purge', OTHER])
  const purge = await apt('purge', 'halo')
  t.equal(purge.code, 0, 'apt-get purges it', { output: purge.out.slice(-3000) })
  const after = (await sh(LIST)).stdout
  const lines = (s: string) => new Set(s.split('\n').filter(Boolean))
  const [b, a] = [lines(before), lines(after)]
  t.same([...a].filter((l) => !b.has(l)), [], 'purge leaves nothing halo put there')
  t.same([...b].filter((l) => !a.has(l)), [], 'and takes nothing that was there before')
})

const noLintian = (await run(['sh', '-c', 'command -v lintian'])).code !== 0 && 'lintian is not installed (test/setup.sh installs it)'

t.test('lintian finds nothing left unexplained', { skip: noLintian }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-lintian.'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = await run(['lintian', '--pedantic', '--fail-on', 'error,warning,info,pedantic', await buildDeb(VERSION, dir)], { timeout: 300_000 })
  t.equal(r.code, 0, 'lintian --pedantic passes', { output: r.stdout })
  t.equal(r.stdout.trim(), '', 'no tag (the overrides say why each remaining one is right)')
})
