import t from 'tap'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runOk } from '../../../lib/exec.ts'
import { isBelow, mountTree, parseMountInfo, readMountInfo, unescapeMountField } from '../../../agents/Filesystem/mounts.ts'
import { atEnd } from '../../harness/cleanup.ts'

const mountinfo = [
  '27 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '101 27 7:3 / /srv/my\\040data rw,noatime shared:7 master:2 - ext4 /dev/loop3 rw,errors=remount-ro',
  '102 101 0:55 / /srv/my\\040data/cache rw - tmpfs tmpfs rw,size=1024k',
  '103 27 7:3 /sub /mnt/back\\134slash ro - ext4 /dev/loop3 rw',
  '104 101 0:56 / /srv/my\\040data rw - tmpfs none rw',
].join('\n')

t.test('mountinfo: fields, octal escapes, optional fields', async (t) => {
  const m = parseMountInfo(mountinfo)
  t.equal(m.length, 5)
  t.match(m[1], {
    id: 101,
    parentId: 27,
    major: 7,
    minor: 3,
    root: '/',
    mountPoint: '/srv/my data',
    options: ['rw', 'noatime'],
    propagation: ['shared:7', 'master:2'],
    fstype: 'ext4',
    source: '/dev/loop3',
    superOptions: ['rw', 'errors=remount-ro'],
  })
  t.match(m[3], { root: '/sub', mountPoint: '/mnt/back\\slash', options: ['ro'], propagation: [] })
  t.throws(() => parseMountInfo('27 1 253:1 / / rw shared:1 ext4 /dev/vda rw'), /line 1: cannot parse/)
})

t.test('octal escapes: newline and backslash', async (t) => {
  t.equal(unescapeMountField('a\\012b\\134'), 'a\nb\\')
})

t.test('below is whole path components, never a prefix of a name', async (t) => {
  t.ok(isBelow('/srv/data/x', '/srv/data'))
  t.notOk(isBelow('/srv/data', '/srv/data'))
  t.notOk(isBelow('/srv/data2', '/srv/data'))
  t.ok(isBelow('/srv', '/'))
  t.notOk(isBelow('/', '/'))
})

t.test('mountTree: the mount, what is on and below it, deepest first; not other mounts of the device', async (t) => {
  const tree = mountTree(parseMountInfo(mountinfo), 101).map((m) => m.id)
  t.same(tree.slice(-1), [101])
  t.same(tree.slice(0, 2).sort(), [102, 104])
  t.notOk(tree.includes(103), 'a bind mount of the same filesystem elsewhere is another mount')
  t.same(mountTree(parseMountInfo(mountinfo), 999), [])
})

t.test('the live table: a mount point with a space and a tab is found exactly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-mounts-'))
  atEnd(t, ['rmdir', dir])
  const point = join(dir, 'a b\tc')
  mkdirSync(point)
  atEnd(t, ['rmdir', point])
  await runOk(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'halotest', point])
  atEnd(t, ['umount', '-l', point])
  const info = readMountInfo().filter((m) => m.mountPoint === point)
  t.equal(info.length, 1)
  t.match(info[0], { fstype: 'tmpfs', source: 'halotest', major: 0 })
  t.equal(readMountInfo().filter((m) => m.mountPoint === join(dir, 'a b')).length, 0)
})
