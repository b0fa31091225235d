import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import t, { type Test } from 'tap'
import { parseMonCf, readMonCf } from '../../../mon/config/moncf.ts'

const F = '/etc/mon/mon.cf'
const parse = (lines: string[]) => parseMonCf(lines.join('\n') + '\n', F)
const service = (lines: string[], group = 'web') => {
  const { config } = parse([`hostgroup ${group} 10.0.0.1 10.0.0.2`, '', `watch ${group}`, '  service s', ...lines])
  return config.watches[0].services[0]
}
const period = (lines: string[], pre: string[] = []) => service([...pre, '    period wd {Mon-Fri}', ...lines]).periods[0]
const fails = (t: Test, lines: string[], message: RegExp, what = lines.join(' / ')) =>
  t.throws(() => parse(lines), { name: /^ConfigErrors?$/, message }, what)

t.test('globals outside watches, each typed; an unknown one is an error', async (t) => {
  const { config } = parse([
    'alertdir = /usr/lib/mon/alert.d', 'mondir = /usr/lib/mon/mon.d : /usr/local/mon.d', 'basedir=/usr/lib/mon', 'cfbasedir = /etc/mon',
    'logdir = /var/log/mon', 'statedir = /var/lib/mon', 'histlength = 100', 'serverport = 2583', 'trapport = 2584',
    'serverbind = 127.0.0.1', 'trapbind = 127.0.0.1', 'clientallow = 127.0.0.1 10.1.[0-9]+.\\d+', 'pidfile = /run/mon.pid', 'randstart = 60s',
    'maxprocs = 20', 'authfile = /etc/mon/auth.cf', 'authtype = getpwnam userfile', 'userfile = /etc/mon/users', 'historicfile = h.log',
    'historictime = 1d', 'cltimeout = 30s', 'dtlogfile = dtlog', 'dtlogging = yes', 'dep_behavior = m', 'syslog_facility = local0',
    'startupalerts_on_reset = on', 'exclude_period = wd {Sat-Sun}',
  ])
  const g = config.globals
  t.same(g.mondir, ['/usr/lib/mon/mon.d', '/usr/local/mon.d'])
  t.same(g.alertdir, ['/usr/lib/mon/alert.d'])
  t.equal(g.basedir, '/usr/lib/mon')
  t.equal(g.serverport, 2583)
  t.equal(g.trapport, 2584)
  t.equal(g.histlength, 100)
  t.equal(g.randstart, 60_000)
  t.equal(g.historictime, 86_400_000)
  t.same(g.authtype, ['getpwnam', 'userfile'])
  t.equal(g.dtlogging, true)
  t.equal(g.startupalerts_on_reset, true)
  t.equal(g.dep_behavior, 'm')
  t.equal(g.exclude_period?.text, 'wd {Sat-Sun}')
  t.same(g.clientallow?.map((re) => ['127.0.0.1', '127.0.0.10', '127x0.0.1', '10.1.22.3'].filter((ip) => re.test(ip))), [['127.0.0.1'], ['10.1.22.3']], 'clientallow: whole addresses, a bare dot is a dot')
  fails(t, ['clientallow = 10.('], /:1: clientallow: '10.\(' is not a list of regular expressions/)
  fails(t, ['', 'serverprot = 2583'], /^\/etc\/mon\/mon\.cf:2: unknown global 'serverprot': the globals are /)
  fails(t, ['serverport = http'], /:1: serverport: 'http' is not a port/)
  fails(t, ['randstart = 60'], /:1: randstart: '60' is not a time: write a number and a unit/, 'a bare number is not a time')
  fails(t, ['dep_behavior = x'], /write a, m or hm/)
  fails(t, ['authtype = getpwnam passwd'], /:1: authtype: 'passwd' is no authtype: write one or more of getpwnam, userfile, pam, trustlocal/)
  t.match(parse(['authtype = shadow']).warnings, [{ line: 1, text: /authtype shadow accepts no one/ }])
  t.match(parse(['dtlogging = on']).warnings, [{ line: 1, text: /'on' is taken as no, as mon does/ }])
})

t.test('hostgroups continue on the next lines until a blank line; a watch without one watches its own name', async (t) => {
  const { config, warnings } = parse(['hostgroup db  a b', '  c', '', 'watch db', 'service s', '', 'watch solo', 'service s'])
  t.same(config.hostgroups.get('db'), ['a', 'b', 'c'])
  t.same(config.watches.map((w) => [w.name, w.hosts]), [['db', ['a', 'b', 'c']], ['solo', ['solo']]])
  t.match(warnings, [{ line: 7, text: /watch solo has no hostgroup/ }])
  const late = parse(['hostgroup g a', 'watch g'])
  t.same(late.config.hostgroups.get('g'), ['a', 'watch', 'g'], 'no blank line: watch g is two more hosts, as in mon')
  t.match(late.warnings, [{ line: 2, text: /takes 'watch' as a host.*put one before this line/ }, { text: /hostgroup g has no watch/ }])
  fails(t, ['watch a', 'service s', '', 'watch a'], /:4: watch a is defined twice/)
})

t.test('a blank line ends a watch: what follows is ignored, as in mon, with a warning at file:line', async (t) => {
  const { config, warnings } = parse([
    'watch web', '  service http', '    interval 1m', '', '  service https', '    interval 1m', '    monitor tcp.monitor -p 443',
    '', 'watch db', '  service mysql',
  ])
  t.same(config.watches.map((w) => w.services.map((s) => s.name)), [['http'], ['mysql']])
  t.match(warnings, [
    { text: /watch web has no hostgroup/ },
    { file: F, line: 5, text: /^mon ignores lines 5-7, and so does halo: the blank line at 4 ended watch web; remove that blank line/ },
    { text: /watch db has no hostgroup/ },
  ])
  fails(t, ['watch web', '  service http', '', '  FOO=bar'], /:4: unknown global 'FOO'/, 'VAR=value after the blank line is a global to mon')
  t.match(parse(['junk here']).warnings, [{ line: 1, text: /mon ignores this line.*not inside a hostgroup or watch/ }])
})

t.test('comments, continuations and indentation', async (t) => {
  const s = service([
    '# a comment', '    interval \\', '        # a comment inside the continuation is skipped', '      5m', '\tmonitor tcp.monitor \\',
    '   -p 80', '  description  spaced\\', '     out  ',
  ])
  t.equal(s.interval, 300_000)
  t.same(s.monitor?.args, ['-p', '80'])
  t.equal(s.monitor?.text, 'tcp.monitor -p 80')
  t.equal(s.description, 'spacedout', 'the next line loses its leading blanks and no blank is added, as in mon')
  const { config, warnings } = parse(['watch w', 'service a', 'description one \\', '', 'service b'])
  t.same(config.watches[0].services.map((x) => x.name), ['a', 'b'], 'a blank line only closes the continuation')
  t.match(parse(['hostgroup g a \\']).warnings, [{ line: 1, text: /ends in a line continued/ }])
  t.same(warnings.filter((w) => /ignores/.test(w.text)), [])
  fails(t, ['watch w', 'service s', 'interval \\', '5'], /:3: interval '5': write a positive time/, 'errors name the first line')
  fails(t, ['watch w', 'service s', 'Interval 5m'], /:3: unknown keyword 'Interval'/, 'keywords are case-sensitive')
})

t.test('service keywords', async (t) => {
  const s = service([
    'FOO=bar baz', 'EMPTY=', 'interval 30s', 'failure_interval 10s', 'randskew 5s', 'monitor tcp.monitor -p 80 -t "two words"',
    'allow_empty_group', 'description web front', 'depend SELF:ping routers:ping', 'alertdepend SELF:a', 'monitordepend SELF:m',
    'hostdepend SELF:h', 'dep_behavior hm', 'dep_memory 1m', 'exclude_hosts 10.0.0.2 10.0.0.9', 'exclude_period hr {1-2}',
    'redistribute file.alert -d /var/log', 'traptimeout 10m', 'trapduration 1h', 'unack_summary',
  ])
  t.same(s.env, { FOO: 'bar baz', EMPTY: '' })
  t.match(s, {
    name: 's', file: F, line: 4, interval: 30_000, failureInterval: 10_000, randskew: 5000, allowEmptyGroup: true,
    description: 'web front', depend: 'web:ping routers:ping', alertdepend: 'web:a', monitordepend: 'web:m', hostdepend: 'web:h',
    depBehavior: 'hm', depMemory: 60_000, excludeHosts: ['10.0.0.2', '10.0.0.9'], traptimeout: 600_000, trapduration: 3_600_000,
    unackSummary: true,
  })
  t.same(s.monitor, { text: 'tcp.monitor -p 80 -t "two words"', name: 'tcp.monitor', args: ['-p', '80', '-t', 'two words'], noHosts: false })
  t.same(s.redistribute, { text: 'file.alert -d /var/log', name: 'file.alert', args: ['-d', '/var/log'] })
  t.equal(s.excludePeriod?.text, 'hr {1-2}')
  t.same(service(['monitor freespace.monitor /f330:5000 ;;']).monitor, {
    text: 'freespace.monitor /f330:5000 ;;', name: 'freespace.monitor', args: ['/f330:5000'], noHosts: true,
  })
  t.equal(service(['unack_summary no']).unackSummary, false)
  t.match(service([]), { depBehavior: 'a', unackSummary: false, allowEmptyGroup: false, periods: [] })
  const inherits = parse(['dep_behavior = m', 'unack_summary = yes', 'watch w', 'service s']).config.watches[0].services[0]
  t.match(inherits, { depBehavior: 'm', unackSummary: true }, 'from the globals above it')
})

t.test('service errors at file:line', async (t) => {
  const w = (lines: string[]) => ['watch w', ...lines]
  fails(t, w(['interval 5m']), /:2: 'interval' before any service in watch w: start with service NAME/)
  fails(t, w(['FOO=1']), /:2: 'FOO' before any service/)
  fails(t, w(['service a b']), /:2: service 'a b': a service name is/)
  fails(t, w(['service a', 'service a']), /:3: service a is defined twice in watch w/)
  fails(t, w(['service a', 'interval 0s']), /:3: interval '0s': write a positive time/)
  fails(t, w(['service a', 'interval 5']), /:3: interval '5'/)
  fails(t, w(['service a', 'monitor tcp.monitor "open']), /:3: monitor tcp.monitor "open: a quote is not closed/)
  fails(t, w(['service a', 'monitor']), /:3: monitor needs a program/)
  fails(t, w(['service a', 'dep_behavior x']), /:3: dep_behavior 'x'/)
  fails(t, w(['service a', 'unack_summary maybe']), /:3: unack_summary 'maybe'/)
  fails(t, w(['service a', 'exclude_period hr {99}']), /:3: period 'hr \{99\}'/)
  fails(t, w(['service a', 'frobnicate 1']), /:3: unknown keyword 'frobnicate' in service a: a service takes VAR=value, interval/)
  fails(t, w(['service a', 'period', 'interval 5m']), /:4: interval is a service keyword but comes after a period of service a: move it above/)
  fails(t, w(['service a', '-x']), /:3: cannot read '-x'/)
})

t.test('periods: label, spec, alerts and their argv', async (t) => {
  const s = service([
    'period wd {Mon-Fri} hr {7am-6pm}', 'alert mail.alert -S "web is down" ops@example.com', 'upalert mail.alert ops', 'startupalert s.alert',
    'ackalert a.alert', 'disablealert d.alert', 'period NIGHT: hr {10pm-6am}', "alert file.alert 'a b'\\ c", 'period',
  ])
  t.same(s.periods.map((p) => [p.label, p.period.text, p.line]), [
    ['wd {Mon-Fri} hr {7am-6pm}', 'wd {Mon-Fri} hr {7am-6pm}', 5], ['NIGHT', 'hr {10pm-6am}', 11], ['', '', 13],
  ])
  const p = s.periods[0]
  t.same(p.alert, [{ text: 'mail.alert -S "web is down" ops@example.com', name: 'mail.alert', args: ['-S', 'web is down', 'ops@example.com'] }])
  t.same([p.upalert[0].name, p.startupalert[0].name, p.ackalert[0].name, p.disablealert[0].name], ['mail.alert', 's.alert', 'a.alert', 'd.alert'])
  t.same(s.periods[1].alert[0].args, ['a b c'])
  fails(t, ['watch w', 'service a', 'period x: wd {Mon}', 'period x: wd {Tue}'], /:4: period 'x' is defined twice/)
  fails(t, ['watch w', 'service a', 'period wd {Mon}', 'period wd {Mon}'], /:4: period 'wd \{Mon\}' is defined twice.*give one a label/)
  fails(t, ['watch w', 'service a', 'period wd {Mun}'], /:3: period 'wd \{Mun\}'/)
})

t.test('period keywords: alertevery, alertafter in its three forms, numalerts, upalertafter, flags', async (t) => {
  t.same(period(['alertevery 1h']).alertevery, { interval: 3_600_000, mode: 'summary' })
  for (const mode of ['strict', 'summary', 'ignore_summary', 'observe_detail']) t.same(period([`alertevery 10m ${mode}`]).alertevery?.mode, mode)
  t.same(period(['alertevery 10m STRICT']).alertevery?.mode, 'strict', 'mon reads the mode in any case')
  t.same(period(['alertafter 3']).alertafter, { failures: 3 })
  t.same(period(['alertafter 30m']).alertafter, { within: 1_800_000 })
  t.same(period(['alertafter 3 30s']).alertafter, { failures: 3, within: 30_000 })
  t.same(period(['alertafter 2 10s'], ['interval 5s']).alertafter, { failures: 2, within: 10_000 })
  const p = period(['upalertafter 5m', 'numalerts 2', 'no_comp_alerts', 'alerts_dont_count', 'alertexitrange 2-4'])
  t.match(p, { upalertafter: 300_000, numalerts: 2, noCompAlerts: true, alertsDontCount: true, alertexitrange: { from: 2, to: 4 } })
  t.match(period([]), { noCompAlerts: false, alertsDontCount: false, alertexitrange: undefined, alertafter: undefined })
  const w = (lines: string[]) => ['watch w', 'service a', 'interval 10s', 'period', ...lines]
  fails(t, w(['alertafter 3 20s']), /:5: alertafter 3 20s: 3 failures 10 s apart never fit in 20s/, 'mon: not sensible')
  fails(t, w(['alertafter x']), /:5: alertafter 'x': write a positive time/)
  fails(t, w(['alertafter 1 2 3']), /:5: alertafter 1 2 3: write alertafter N, alertafter N TIME or alertafter TIME/)
  fails(t, w(['alertevery 1h sometimes']), /:5: alertevery 1h sometimes: write alertevery TIME \[strict/)
  fails(t, w(['alertevery 60']), /:5: alertevery '60'/)
  fails(t, w(['numalerts two']), /:5: numalerts 'two'/)
  fails(t, w(['alertexitrange 1-']), /:5: alertexitrange '1-'/)
  fails(t, w(['upalertafter 0m']), /:5: upalertafter '0m'/)
  fails(t, w(['alert']), /:5: alert needs a program/)
  fails(t, w(['bogus']), /:5: unknown keyword 'bogus' in period '' of service a: a period takes alert, upalert/)
})

t.test('alert lines starting exit=N[-M]', async (t) => {
  const p = period(['alert exit=2 mail.alert two', 'alert exit=3-5 page.alert "three to five"', 'upalert EXIT=1 up.alert'])
  t.same(p.alert, [
    { text: 'exit=2 mail.alert two', name: 'mail.alert', args: ['two'], exit: { from: 2, to: 2 } },
    { text: 'exit=3-5 page.alert "three to five"', name: 'page.alert', args: ['three to five'], exit: { from: 3, to: 5 } },
  ])
  t.same(p.upalert[0].exit, { from: 1, to: 1 })
  const w = (lines: string[]) => ['watch w', 'service a', 'period', ...lines]
  fails(t, w(['alert exit = 2 mail.alert']), /:4: alert exit = 2 mail.alert: write exit=N or exit=N-M, then the alert/)
  fails(t, w(['alert exit=x mail.alert']), /:4: alert exit=x mail\.alert: write exit=N/)
  fails(t, w(['alert exit=2']), /:4: alert exit=2: write exit=N/)
  const { warnings } = parse(w(['alert exit=5-2 mail.alert']))
  t.match(warnings, [{ line: 1 }, { line: 4, text: /exit=5-2: no exit code is in that range/ }])
})

const dir = mkdtempSync(join(tmpdir(), 'moncf-'))

t.test('files: read from disk, a missing file, a missing m4', async (t) => {
  const plain = join(dir, 'mon.cf')
  writeFileSync(plain, 'watch w\n  service s\n    interval 5\n')
  await t.rejects(readMonCf(plain), { message: `${plain}:3: interval '5': write a positive time with its unit, s m h or d (e.g. 5m)` })
  await t.rejects(readMonCf(join(dir, 'none.cf')), { message: /none\.cf: cannot read it/ })
  await t.rejects(readMonCf(join(dir, 'x.m4'), { m4: '/nonexistent/m4' }), { message: /x\.m4: cannot read it/ })
  writeFileSync(join(dir, 'mon.m4'), 'watch w\n')
  await t.rejects(readMonCf(join(dir, 'mon.m4'), { m4: '/nonexistent/m4' }), {
    message: /mon\.m4: it is an m4 file but \/nonexistent\/m4 cannot be run: install m4 \(apt-get install m4\)/,
  })
})

const m4 = spawnSync('m4', ['--version'])
t.test('m4: errors name the source file and line, even an included one', { skip: m4.status === 0 ? false : 'm4 is not installed' }, async (t) => {
  const m4file = join(dir, 'mon.m4')
  writeFileSync(m4file, "dnl macros\ndefine(`HOSTS', `a b')dnl\nhostgroup g HOSTS\n\nwatch g\ninclude(`svc.m4')dnl\n")
  writeFileSync(join(dir, 'svc.m4'), '  service s\n    interval 5m\n    monitor x.monitor\n    junk here\n')
  process.chdir(dir)
  await t.rejects(readMonCf('mon.m4'), { message: 'svc.m4:4: unknown keyword \'junk\' in service s: a service takes VAR=value, interval, monitor_timeout, failure_interval, randskew, monitor, allow_empty_group, description, depend, alertdepend, monitordepend, hostdepend, dep_behavior, dep_memory, exclude_hosts, exclude_period, redistribute, traptimeout, trapduration, unack_summary, period' }, 'the included file and its line')
  writeFileSync(join(dir, 'svc.m4'), '  service s\n    interval 5m\n')
  const { config } = await readMonCf('mon.m4')
  t.same(config.hostgroups.get('g'), ['a', 'b'])
  t.match(config.watches[0].services[0], { file: 'svc.m4', line: 1 })
  writeFileSync(join(dir, 'bad.m4'), 'define(`x\n')
  await t.rejects(readMonCf('bad.m4'), { message: /^bad\.m4: m4 failed: .*end of file/ })
  const forced = join(dir, 'plain.cf')
  writeFileSync(forced, "define(`G', `gg')dnl\nwatch G\nservice s\n")
  t.equal((await readMonCf(forced, { m4: 'm4' })).config.watches[0].name, 'gg', 'like mon -M, any file')
})

t.test('what halo-mon reads but does not do is a warning at its line; monitor_timeout is halo\'s', async (t) => {
  const { config, warnings } = parse([
    'authtype = pam', 'maxprocs = 10', 'watch w', 'service s', 'monitor_timeout 2s', 'depend SELF:ping',
    'redistribute file.alert', 'traptimeout 10m',
  ])
  t.equal(config.watches[0].services[0].monitorTimeout, 2000)
  t.match(warnings.filter((w) => /halo-mon/.test(w.text)), [
    { line: 2, text: /halo-mon ignores maxprocs/ },
    { line: 6, text: /^depend: halo-mon does not evaluate dependencies/ },
    { line: 7, text: /^redistribute: halo-mon does not redistribute/ },
    { line: 8, text: /^traptimeout: halo-mon receives no traps/ },
  ])
  fails(t, ['watch w', 'service s', 'monitor_timeout 0s'], /:3: monitor_timeout '0s': write a positive time/)
})


t.test('several errors: each independent one at its file:line, none that follows from another (mon names only the first)', async (t) => {
  const lines = [
    'randstart = 60', // 1: a bad global
    'hostgroup web 10.0.0.1', '',
    'watch web',
    '  service a/b', // 5: a bad service name: its lines are skipped, their errors would follow from it
    '    interval 5', '    frobnicate', '    period wd {Mon}', '      alert x', '      alertevery 60',
    '  service http',
    '    interval 5', // 12: independent
    '    monitor tcp.monitor -p 80',
    '    period wd {Mun}', // 14: a bad period: its lines are skipped
    '      alertafter x y z', '      numalerts two',
    '    period wd {Mon}',
    '      numalerts two', // 18: a period read again: independent
    '',
    'watch web', // 20: twice: the whole watch is skipped
    '  service x', '    interval 5',
    '',
    'serverport = http', // 24
  ]
  const err = t.throws(() => parse(lines), { name: 'ConfigErrors', file: F, line: 1 }) as unknown as { errors: { line: number }[]; message: string }
  t.same(err.errors.map((e) => e.line), [1, 5, 12, 14, 18, 20, 24])
  t.match(err.message, /^\/etc\/mon\/mon\.cf:1: randstart: '60' is not a time.*\n\/etc\/mon\/mon\.cf:5: service 'a\/b': .*\n.*:12: interval '5'.*\n.*:14: .*\n.*:18: numalerts 'two'.*\n.*:20: watch web is defined twice.*\n.*:24: serverport: 'http' is not a port/)
  fails(t, ['watch w', '  interval 5m', '  monitor x', '  service s', '    interval 5'], /^[^\n]*:2: 'interval' before any service[^\n]*\n[^\n]*:5: interval '5'/, 'lines before any service: said once')
  t.throws(() => parse(['randstart = 60']), { name: 'ConfigError' }, 'one error is a ConfigError, as before')
})
