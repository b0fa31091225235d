import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_POLICY, describePolicy, findResource, parseRecoveryCf, readRecoveryCf } from '../../../ha.d/config/recovery.ts'
import { parseHaresources } from '../../../ha.d/config/haresources.ts'

const FILE = '/etc/ha.d/recovery.cf'
const groups = parseHaresources('nodea drbddisk::r0 Filesystem::/dev/drbd0::/data::ext4 10.0.0.5/24 IPaddr::10.0.0.6/24 mysql appserver\n', '/etc/ha.d/haresources', ['nodea', 'nodeb'])
const parse = (text: string) => parseRecoveryCf(text, FILE, groups)

t.test('resource lines by script or full spelling; keys left out come from the default line, wherever it is', async (t) => {
  const cfg = parse('appserver migration-threshold=5 watch=/run/linkserv.pid # the app\nIPaddr::10.0.0.6/24 failure-timeout=90s\ndefault migration-threshold=2 failure-timeout=10min\nmysql migration-threshold=INFINITY failure-timeout=0 monitor=10s\n10.0.0.5/24 migration-threshold=0\n')
  t.same(cfg.default, { threshold: 2, windowMs: 600_000, monitorMs: 0 })
  t.same(cfg.resources, {
    appserver: { threshold: 5, windowMs: 600_000, monitorMs: 0, watch: '/run/linkserv.pid' },
    'IPaddr::10.0.0.6/24': { threshold: 2, windowMs: 90_000, monitorMs: 0 },
    mysql: { threshold: null, windowMs: 0, monitorMs: 10_000 },
    'IPaddr::10.0.0.5/24': { threshold: 0, windowMs: 600_000, monitorMs: 0 },
  })
  t.equal(cfg.file, FILE)
  t.same(parse('').default, DEFAULT_POLICY, 'an empty file: the built-in default')
  t.same(parse('default failure-timeout=300 monitor=0').default, { threshold: 3, windowMs: 300_000, monitorMs: 0 }, 'a bare number is seconds, as Pacemaker')
  t.equal(describePolicy({ threshold: null, windowMs: 0, monitorMs: 90_000 }), 'migration-threshold=INFINITY failure-timeout=0 monitor=90s')
  t.equal(describePolicy(DEFAULT_POLICY), 'migration-threshold=3 failure-timeout=10min')
  t.equal(describePolicy(cfg.resources.appserver), 'migration-threshold=5 failure-timeout=10min watch=/run/linkserv.pid')
})

t.test('every wrong line is named file:line, and nothing is used', async (t) => {
  const bad = 'appserver\nmysql migration-threshold=three\nappserver failure-timeout=soon\nIPaddr migration-threshold=1\nnginx migration-threshold=1\nmysql resource-stickiness=100\nmysql monitor=10ms\ndefault failure-timeout=1\ndefault migration-threshold=1\nappserver migration-threshold=1\nappserver migration-threshold=2\nmysql watch=run/mysqld.pid\ndefault watch=/run/x.pid\n'
  const e = t.throws(() => parse(bad)) as Error
  const lines = e.message.split('\n')
  t.match(lines, [
    /^\/etc\/ha\.d\/recovery\.cf:1: appserver: say what to set, e\.g\. appserver migration-threshold=3 failure-timeout=10min$/,
    /:2: migration-threshold=three: give a whole number of restarts .* or INFINITY/,
    /:3: failure-timeout=soon: give a time such as 600, 90s or 10min/,
    /:4: IPaddr is ambiguous: IPaddr::10\.0\.0\.5\/24, IPaddr::10\.0\.0\.6\/24 run it; write the one meant in full/,
    /:5: no resource of haresources is nginx \(there are drbddisk::r0, /,
    /:6: resource-stickiness=100: recovery\.cf sets migration-threshold=, failure-timeout=, monitor=, watch=$/,
    /:7: monitor=10ms: give an interval such as 10s \(at least 100ms; 0: no monitoring\)/,
    /:9: default already has its line \(line 8\)/,
    /:11: appserver already has its line \(line 10\)/,
    /:12: watch=run\/mysqld\.pid: give the absolute path of the resource's pid file/,
    /:13: watch=\/run\/x\.pid: a pid file is one resource's: put it on that resource's line/,
  ])
  t.equal(lines.length, 11)
})

t.test('readRecoveryCf: no file, the default policy; a file in the config dir is read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-recovery-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.same(readRecoveryCf(dir, groups), { default: DEFAULT_POLICY, resources: {} })
  writeFileSync(join(dir, 'recovery.cf'), 'appserver migration-threshold=1\n')
  t.same(readRecoveryCf(dir, groups), { file: join(dir, 'recovery.cf'), default: DEFAULT_POLICY, resources: { appserver: { threshold: 1, windowMs: 600_000, monitorMs: 0 } } })
  writeFileSync(join(dir, 'recovery.cf'), 'appserver migration-threshold=-1\n')
  t.throws(() => readRecoveryCf(dir, groups), { message: `${join(dir, 'recovery.cf')}:1: migration-threshold=-1: give a whole number` })
})

t.test('findResource: the bare address haresources wrote names its IPaddr too', async (t) => {
  t.same(findResource(groups, '10.0.0.5/24'), { resource: groups[0].resources[2] })
  t.same(findResource(groups, 'appserver'), { resource: groups[0].resources[5] })
})
