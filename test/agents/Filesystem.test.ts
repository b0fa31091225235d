// Filesystem against real loop devices with ext4, real mounts, real processes holding them.
import t, { type Test } from 'tap'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run, runOk, spawnDetached } from '../../lib/exec.ts'
import { readMountInfo } from '../../agents/Filesystem/mounts.ts'
import { isAlive } from '../../lib/process.ts'
import { agentPath, crmLifecycle, crmResource, ocf, ocfTester, v1 } from '../harness/agent.ts'
import { atEnd } from '../harness/cleanup.ts'
import { loopExt4, type LoopDisk } from '../harness/loop.ts'
import { until } from '../../lib/wait.ts'


const fs = (disk: LoopDisk, dir: string, more: Record<string, string> = {}) => ({ device: disk.device, directory: dir, fstype: 'ext4', ...more })
const mountsAt = (dir: string) => readMountInfo().filter((m) => m.mountPoint === dir)
const reason = (stderr: string) => /ocf-exit-reason:(.*)/.exec(stderr)?.[1] ?? ''

/** Polls external state until it holds; fails the wait after `ms`. */

/** A process whose working directory is `cwd`, killed at the end of the test whatever happens. */
function holder(t: Test, cwd: string, argv = ['sleep', '600']): number {
  const pid = spawnDetached(argv, { cwd })
  atEnd(t, ['kill', '-9', String(pid)])
  return pid
}

t.test('start, monitor at depths 0/10/20, stop: idempotent, with the right codes', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'not', 'yet', 'there')
  const params = fs(disk, dir)
  t.equal((await ocf('Filesystem', 'monitor', { params })).code, 7, 'not mounted: 7')
  t.equal((await ocf('Filesystem', 'stop', { params })).code, 0, 'stop when stopped: 0')
  const start = await ocf('Filesystem', 'start', { params })
  t.equal(start.code, 0, start.stderr)
  t.match(mountsAt(dir), [{ source: disk.device, fstype: 'ext4' }], 'mounted, mount point created')
  t.equal((await ocf('Filesystem', 'start', { params })).code, 0, 'start when started: 0')
  t.equal(mountsAt(dir).length, 1, 'not mounted twice')
  for (const level of ['0', '10', '20']) {
    const r = await ocf('Filesystem', 'monitor', { params, env: { OCF_CHECK_LEVEL: level } })
    t.equal(r.code, 0, `monitor depth ${level}: ${r.stderr}`)
  }
  const status = join(dir, '.Filesystem_status')
  const [file] = readdirSync(status)
  t.match(file, /^Filesystem_/, 'status file named after the instance and node')
  t.match(readFileSync(join(status, file), 'utf8'), /^Filesystem \d{4}-/)
  const stop = await ocf('Filesystem', 'stop', { params })
  t.equal(stop.code, 0, stop.stderr)
  t.same(mountsAt(dir), [])
  t.equal((await ocf('Filesystem', 'monitor', { params })).code, 7)
  t.equal((await ocf('Filesystem', 'stop', { params })).code, 0)
})

t.test('a dead device: monitors at depth 10 and 20 fail, while depth 0 still sees the mount', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const params = fs(disk, dir)
  t.equal((await ocf('Filesystem', 'start', { params })).code, 0)
  atEnd(t, ['umount', '-l', dir])
  // the disk loses its contents under the mounted filesystem: reads that bypass the cache come back empty
  await runOk(['truncate', '-s', '0', disk.image])
  await runOk(['losetup', '-c', disk.device])
  t.equal((await ocf('Filesystem', 'monitor', { params })).code, 0, 'depth 0 sees only the mount table')
  const deep = await ocf('Filesystem', 'monitor', { params, env: { OCF_CHECK_LEVEL: '10' } })
  t.equal(deep.code, 1)
  t.match(reason(deep.stderr), `cannot read ${disk.device}: no whole block`)
  const deepest = await ocf('Filesystem', 'monitor', { params, env: { OCF_CHECK_LEVEL: '20' } })
  t.equal(deepest.code, 1)
  t.match(reason(deepest.stderr), /cannot write the status file .*(EIO|dd exit 1)/)
})

t.test('the device named by UUID (-U and UUID=) and by LABEL', async (t) => {
  const disk = await loopExt4(t)
  await runOk(['tune2fs', '-L', 'halodata', disk.device])
  const uuid = (await runOk(['blkid', '-s', 'UUID', '-o', 'value', disk.device])).trim()
  const dir = join(disk.dir, 'm')
  for (const device of [`-U ${uuid}`, `UUID=${uuid}`, '-L halodata']) {
    const params = fs(disk, dir, { device })
    const start = await ocf('Filesystem', 'start', { params })
    t.equal(start.code, 0, `${device}: ${start.stderr}`)
    t.match(mountsAt(dir), [{ source: disk.device }])
    t.equal((await ocf('Filesystem', 'monitor', { params, env: { OCF_CHECK_LEVEL: '10' } })).code, 0)
    t.equal((await ocf('Filesystem', 'stop', { params })).code, 0)
  }
  const r = await ocf('Filesystem', 'start', { params: fs(disk, dir, { device: 'UUID=00000000-dead-beef-0000-000000000000' }) })
  t.equal(r.code, 5)
  t.match(reason(r.stderr), 'device UUID=00000000-dead-beef-0000-000000000000 does not exist here')
})

t.test('something mounted below the mount point: 6, nothing mounted', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const sub = join(dir, 'sub')
  mkdirSync(sub, { recursive: true })
  await runOk(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'halotest', sub])
  atEnd(t, ['umount', '-l', sub])
  const r = await ocf('Filesystem', 'start', { params: fs(disk, dir) })
  t.equal(r.code, 6)
  t.match(reason(r.stderr), `something is mounted below ${dir}: ${sub} (halotest)`)
  t.same(mountsAt(dir), [])
})

t.test('a filesystem fsck cannot repair unattended is refused; run_fsck=no mounts it regardless', async (t) => {
  const disk = await loopExt4(t)
  const debugfs = (cmd: string) => runOk(['debugfs', '-w', '-R', cmd, disk.device])
  // two files claiming the same block, in a filesystem marked as having errors: mount takes it, fsck -p not
  await debugfs('write /etc/services a')
  await debugfs('write /etc/passwd b')
  const block = (await runOk(['debugfs', '-R', 'bmap /a 0', disk.device])).trim()
  await debugfs(`set_inode_field /b block[5] ${block}`)
  await debugfs('set_super_value state 2')
  const dir = join(disk.dir, 'm')
  const r = await ocf('Filesystem', 'start', { params: fs(disk, dir) })
  t.equal(r.code, 1)
  t.match(reason(r.stderr), `${disk.device} has errors that fsck.ext4 -p cannot repair alone; not mounting it`)
  t.match(r.stderr, /exit 4/)
  t.same(mountsAt(dir), [])
  const unchecked = await ocf('Filesystem', 'start', { params: fs(disk, dir, { run_fsck: 'no' }) })
  t.equal(unchecked.code, 0, 'the kernel would have mounted it: fsck was the gate')
  t.equal((await ocf('Filesystem', 'stop', { params: fs(disk, dir) })).code, 0)
})

t.test('a zeroed superblock is refused by fsck, with its reason', async (t) => {
  const disk = await loopExt4(t)
  await runOk(['dd', 'if=/dev/zero', `of=${disk.device}`, 'bs=1024', 'seek=1', 'count=1', 'conv=fsync', 'status=none'])
  const r = await ocf('Filesystem', 'start', { params: fs(disk, join(disk.dir, 'm')) })
  t.equal(r.code, 1)
  t.match(reason(r.stderr), /fsck\.ext4 -p cannot repair alone.*exit 8: .*Bad magic number in super-block/)
})

t.test('busy on stop: the users of the mount end (TERM), by cwd and by open file', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const params = fs(disk, dir)
  t.equal((await ocf('Filesystem', 'start', { params })).code, 0)
  const inside = holder(t, dir)
  const fd = openSync(join(dir, 'log'), 'w')
  const writer = spawnDetached(['sleep', '600'], { stdout: fd })
  atEnd(t, ['kill', '-9', String(writer)])
  closeSync(fd)
  const stop = await ocf('Filesystem', 'stop', { params })
  t.equal(stop.code, 0, stop.stderr)
  t.match(stop.stderr, new RegExp(`sending TERM to .*${inside} \\(sleep 600: cwd\\)`))
  t.match(stop.stderr, new RegExp(`${writer} \\(sleep 600: fd 1, fd 2\\)`))
  t.same(mountsAt(dir), [])
  // stop unmounts only once the users it signalled have exited
  t.notOk(isAlive(inside), 'the user by cwd has ended')
  t.notOk(isAlive(writer), 'the user by open file has ended')
})

t.test('a user that ignores TERM gets KILL before the stop timeout', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const params = fs(disk, dir)
  t.equal((await ocf('Filesystem', 'start', { params })).code, 0)
  const stubborn = holder(t, dir, ['sh', '-c', "trap '' TERM; exec sleep 600"])
  await until('the TERM-ignoring sleep', () => readFileSync(`/proc/${stubborn}/comm`, 'utf8') === 'sleep\n')
  const stop = await ocf('Filesystem', 'stop', { params, env: { OCF_RESKEY_CRM_meta_timeout: '3000' } })
  t.equal(stop.code, 0, stop.stderr)
  const kill = /KILL in (\d\.\d) s if still running/.exec(stop.stderr)
  t.ok(kill && Number(kill[1]) < 3, `KILL planned inside the 3 s timeout (${kill?.[1]} s)`)
  await until('the KILLed holder to be gone', () => !isAlive(stubborn))
  t.same(mountsAt(dir), [])
})

t.test('force_unmount=false: a busy mount fails stop within the timeout and says who holds it', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const params = fs(disk, dir, { force_unmount: 'false' })
  t.equal((await ocf('Filesystem', 'start', { params })).code, 0)
  atEnd(t, ['umount', '-l', dir])
  const user = holder(t, dir)
  const stop = await ocf('Filesystem', 'stop', { params, env: { OCF_RESKEY_CRM_meta_timeout: '1000' } })
  t.equal(stop.code, 1)
  t.match(reason(stop.stderr), `cannot unmount ${dir}: still used by ${user} (sleep 600: cwd)`)
  t.ok(isAlive(user), 'not signalled')
  t.equal(mountsAt(dir).length, 1)
})

t.test('only users of THIS mount end: the same filesystem bound elsewhere keeps its users', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const elsewhere = join(disk.dir, 'elsewhere')
  const params = fs(disk, dir)
  t.equal((await ocf('Filesystem', 'start', { params })).code, 0)
  mkdirSync(join(dir, 'data'))
  mkdirSync(elsewhere)
  await runOk(['mount', '--bind', dir, elsewhere])
  const bystander = holder(t, join(elsewhere, 'data'))
  const user = holder(t, join(dir, 'data'))
  const stop = await ocf('Filesystem', 'stop', { params })
  t.equal(stop.code, 0, stop.stderr)
  t.same(mountsAt(dir), [])
  await until('the user of the resource to end', () => !isAlive(user))
  t.ok(isAlive(bystander), 'the process using the other mount survives (fuser -m would have killed it)')
  t.equal(mountsAt(elsewhere).length, 1, 'the other mount is not touched')
})

t.test('a copy in another mount namespace: stop warns who keeps the disk busy; start skips fsck of it', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const params = fs(disk, dir)
  t.equal((await ocf('Filesystem', 'start', { params })).code, 0)
  // what ip netns exec or a PrivateTmp service does: a new mount namespace copies every mount of ours
  const copier = holder(t, disk.dir, ['unshare', '--mount', '--propagation', 'private', 'sleep', '600'])
  await until('the namespace copy', () => readFileSync(`/proc/${copier}/comm`, 'utf8') === 'sleep\n')
  const stop = await ocf('Filesystem', 'stop', { params })
  t.equal(stop.code, 0, stop.stderr)
  t.ok(isAlive(copier), 'not a user of our mount')
  t.match(stop.stderr, `WARNING: ${disk.device} is still in use after unmounting ${dir}: mounted in the mount namespace of pid ${copier} (sleep 600)`)
  const start = await ocf('Filesystem', 'start', { params })
  t.equal(start.code, 0, start.stderr)
  t.match(start.stderr, `${disk.device} is in use (mounted in the mount namespace of pid ${copier} (sleep 600)): not checking a live filesystem`)
  t.equal((await ocf('Filesystem', 'stop', { params })).code, 0)
})

t.test('a bind-mount resource: users of the filesystem it comes from are left alone', async (t) => {
  const disk = await loopExt4(t)
  const base = join(disk.dir, 'base')
  const bound = join(disk.dir, 'bound')
  mkdirSync(base)
  await runOk(['mount', disk.device, base])
  mkdirSync(join(base, 'export'))
  const params = { device: join(base, 'export'), directory: bound, fstype: 'none', options: 'bind' }
  t.equal((await ocf('Filesystem', 'start', { params })).code, 0)
  t.match(mountsAt(bound), [{ root: '/export' }])
  for (const level of ['10', '20']) t.equal((await ocf('Filesystem', 'monitor', { params, env: { OCF_CHECK_LEVEL: level } })).code, 0)
  const bystander = holder(t, join(base, 'export'))
  const user = holder(t, bound)
  const stop = await ocf('Filesystem', 'stop', { params })
  t.equal(stop.code, 0, stop.stderr)
  await until('the user of the bind mount to end', () => !isAlive(user))
  t.ok(isAlive(bystander), 'the process on the underlying filesystem survives')
  t.equal(mountsAt(base).length, 1)
})

t.test('another filesystem on the mount point is not ours: monitor 1, start 1, stop leaves it', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  mkdirSync(dir)
  await runOk(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'halotest', dir])
  atEnd(t, ['umount', '-l', dir])
  const params = fs(disk, dir)
  const mon = await ocf('Filesystem', 'monitor', { params })
  t.equal(mon.code, 1)
  t.match(reason(mon.stderr), `${dir} holds halotest`)
  t.equal((await ocf('Filesystem', 'start', { params })).code, 1)
  t.equal((await ocf('Filesystem', 'stop', { params })).code, 0)
  t.match(mountsAt(dir), [{ source: 'halotest' }])
})

t.test('bad parameters: code 6 (or 5) and a reason naming the parameter; nothing changes', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const cases: [Record<string, string>, number, string][] = [
    [{ device: '' }, 6, 'parameter device is required'],
    [{ directory: 'relative/dir' }, 6, 'parameter directory: "relative/dir" is not an absolute path'],
    [{ directory: '//' }, 6, 'parameter directory: refusing to manage /'],
    [{ fstype: 'ext4;rm' }, 6, 'parameter fstype: "ext4;rm" is not a filesystem type'],
    [{ options: 'ro, noatime' }, 6, 'parameter options: "ro, noatime" contains white space'],
    [{ run_fsck: 'maybe' }, 6, 'parameter run_fsck: "maybe" is not one of auto, force, no'],
    [{ force_unmount: 'perhaps' }, 6, 'parameter force_unmount: "perhaps" is not true, safe or false'],
    [{ statusfile_prefix: '../x' }, 6, 'parameter statusfile_prefix: "../x" must stay inside the mount point'],
    [{ device: join(disk.dir, 'nodev') }, 5, `device ${join(disk.dir, 'nodev')} does not exist here`],
    [{ fstype: 'nosuchfs' }, 5, 'filesystem type nosuchfs is not supported by this kernel'],
  ]
  for (const [bad, code, why] of cases) {
    const r = await ocf('Filesystem', 'start', { params: fs(disk, dir, bad) })
    t.equal(r.code, code, JSON.stringify(bad))
    t.match(reason(r.stderr), why)
  }
  t.notOk(existsSync(dir), 'no mount point created')
  const probe = await ocf('Filesystem', 'monitor', { params: fs(disk, dir, { device: '/dev/halo-none' }), env: { OCF_RESKEY_CRM_meta_interval: '0' } })
  t.equal(probe.code, 7, 'a probe where the device is missing: not running')
})

t.test('Heartbeat v1: Filesystem DEVICE DIR FSTYPE [OPTIONS] start|status|stop', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'v1')
  const args = [disk.device, dir, 'ext4', 'ro,noatime']
  let r = await v1('Filesystem', args, 'status')
  t.same([r.code, r.stdout], [3, 'stopped\n'])
  r = await v1('Filesystem', args, 'start')
  t.equal(r.code, 0, r.stderr)
  t.match(mountsAt(dir), [{ options: ['ro', 'noatime'] }])
  r = await v1('Filesystem', args, 'status')
  t.same([r.code, r.stdout], [0, 'running\n'])
  const params = fs(disk, dir, { options: 'ro,noatime' })
  r = await ocf('Filesystem', 'monitor', { params, env: { OCF_CHECK_LEVEL: '20' } })
  t.equal(r.code, 0, `read-only: depth 20 reads instead of writing: ${r.stderr}`)
  t.equal((await v1('Filesystem', args, 'stop')).code, 0)
  t.same(mountsAt(dir), [])
  r = await v1('Filesystem', [disk.device, dir], 'start')
  t.equal(r.code, 1)
  t.match(r.stderr, /expected DEVICE DIRECTORY FSTYPE \[OPTIONS\], got 2/)
})

t.test('meta-data: valid against the OCF 1.0 DTD, resource-agents parameter names', async (t) => {
  const md = await run([agentPath('Filesystem'), 'meta-data'], { env: {} })
  t.equal(md.code, 0)
  const disk = await loopExt4(t, 8)
  const file = join(disk.dir, 'md.xml')
  writeFileSync(file, md.stdout)
  const lint = await run(['xmllint', '--noout', '--dtdvalid', '/usr/share/resource-agents/ra-api-1.dtd', file])
  t.equal(lint.code, 0, lint.stderr)
  for (const p of ['device', 'directory', 'fstype', 'options', 'run_fsck', 'force_unmount', 'statusfile_prefix']) {
    t.match(md.stdout, `<parameter name="${p}"`)
  }
  t.match(md.stdout, /<action name="monitor" timeout="40s" interval="20s" depth="20"\/>/)
})

t.test('ocf-tester -v passes', async (t) => {
  const disk = await loopExt4(t)
  await ocfTester(t, 'Filesystem', { device: disk.device, directory: join(disk.dir, 'm'), fstype: 'ext4' })
  t.same(mountsAt(join(disk.dir, 'm')), [])
})

t.test('crm_resource --force-start/--force-check/--force-stop', async (t) => {
  const disk = await loopExt4(t)
  const dir = join(disk.dir, 'm')
  const crm = await crmResource(t, 'Filesystem', { device: disk.device, directory: dir, fstype: 'ext4' })
  await crmLifecycle(t, crm, {
    check: '--force-check=20',
    started: () => t.equal(mountsAt(dir).length, 1, 'mounted'),
    stopped: () => t.same(mountsAt(dir), [], 'unmounted'),
  })
})
