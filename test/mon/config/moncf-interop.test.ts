/**
 * The real mon 1.3 and halo on the same files: both accept, or both reject at the same line.
 * mon has no config-check mode; it reads the whole file before anything else and then opens its
 * auth file, so with `-A /nonexistent` it stops right after the check: no daemon, no port bound.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { readMonCf } from '../../../mon/config/moncf.ts'

const mon = '/usr/sbin/mon'
const dir = mkdtempSync(join(tmpdir(), 'moncf-interop-'))
const noAuth = '/nonexistent/halo-interop/auth.cf'

/** 'ok', or the line mon names in its cf error */
function monVerdict(file: string): string | number {
  const r = spawnSync(mon, ['-c', file, '-A', noAuth, '-b', dir, '-B', dir, '-L', dir, '-D', dir, '-P', ''], { encoding: 'utf8', timeout: 20_000 })
  if (r.stderr.includes(`could not open ${noAuth}`)) return 'ok'
  const line = /cf error: .*, line (\d+)$/m.exec(r.stderr)
  if (line) return Number(line[1])
  return `mon said: ${r.stderr.trim()}`
}

async function haloVerdict(file: string): Promise<string | number> {
  try {
    await readMonCf(file)
    return 'ok'
  } catch (err) {
    return (err as { line?: number }).line ?? String(err)
  }
}

const svc = (lines: string[]) => ['hostgroup web 127.0.0.1', '', 'watch web', '  service http', ...lines].join('\n') + '\n'
const cases: { [name: string]: string } = {
  'every service keyword': svc([
    '    FOO=bar baz', '    interval 30s', '    failure_interval 10s', '    randskew 5s', '    monitor tcp.monitor -p 80 -t "two words"',
    '    allow_empty_group', '    description web front', '    depend SELF:ping', '    dep_behavior hm', '    exclude_hosts 10.0.0.2',
    '    exclude_period hr {1-2}', '    redistribute file.alert -d /tmp', '    traptimeout 10m', '    trapduration 1h', '    unack_summary yes',
    '    period wd {Mon-Fri} hr {7am-6pm}', '      alert mail.alert -S "web down" ops', '      upalert mail.alert ops',
    '      startupalert mail.alert ops', '      ackalert mail.alert ops', '      alertevery 1h strict', '      alertafter 3 5m',
    '      upalertafter 5m', '      numalerts 2', '      no_comp_alerts', '      alertexitrange 1-3', '      alert exit=2-4 mail.alert x',
    '    period NIGHT: hr {10pm-2am}', '      alertafter 2', '      alertevery 10m observe_detail', '    period', '      alertafter 10m',
  ]),
  'blank line inside a watch (mon drops the rest)': svc(['    interval 1m', '', '  service https', '    interval 1m']),
  'continuation and comments': svc(['    monitor tcp.monitor \\', '# inside', '      -p 80', '    interval 5m']),
  'globals': 'serverbind = 127.0.0.1\nrandstart = 60s\nhistlength = 100\ndtlogging = yes\nexclude_period = wd {Sat}\n',
  'unknown global': 'serverprot = 1\n',
  'bad randstart': 'randstart = 60\n',
  'bare number interval': svc(['    interval 5']),
  'zero interval': svc(['    interval 0s']),
  'bad period': svc(['    period wd {Mun}']),
  'period twice': svc(['    period wd {Mon}', '    period wd {Mon}']),
  'service twice': svc(['  service http']),
  'watch twice': svc([]) + '\nwatch web\n',
  'keyword before service': 'watch web\n  interval 5m\n',
  'VAR= before service': 'watch web\n  FOO=1\n',
  'VAR= after a blank line': svc(['', '    FOO=1']),
  'bad service name': svc(['  service a/b']),
  'unknown service keyword': svc(['    frobnicate 1']),
  'service keyword in a period': svc(['    period', '      interval 5m']),
  'alertafter never sensible': svc(['    interval 10s', '    period', '      alertafter 3 20s']),
  'bad alertafter': svc(['    period', '      alertafter 1 2 3']),
  'bad alertevery': svc(['    period', '      alertevery 60']),
  'bad numalerts': svc(['    period', '      numalerts two']),
  'bad alertexitrange': svc(['    period', '      alertexitrange 1-']),
  'bad dep_behavior': svc(['    dep_behavior x']),
  'bad upalertafter': svc(['    period', '      upalertafter 0s']),
}

t.test('mon and halo accept and reject the same files, at the same line', { skip: existsSync(mon) ? false : 'mon is not installed' }, async (t) => {
  const examples = '/usr/share/doc/mon/examples'
  const files: [string, string][] = Object.entries(cases).map(([name, text], i) => {
    const file = join(dir, `case${i}.cf`)
    writeFileSync(file, text)
    return [name, file]
  })
  for (const gz of ['example.cf.gz', 'example.m4.gz']) {
    if (!existsSync(join(examples, gz))) continue
    const file = join(dir, gz.replace(/\.gz$/, ''))
    writeFileSync(file, gunzipSync(readFileSync(join(examples, gz))))
    files.push([`Debian's ${gz}`, file])
  }
  if (existsSync(join(examples, 'very-simple.cf'))) files.push(["Debian's very-simple.cf", join(examples, 'very-simple.cf')])
  const m4 = spawnSync('m4', ['--version']).status === 0
  let rejected = 0
  for (const [name, file] of files) {
    if (file.endsWith('.m4') && !m4) continue
    const theirs = monVerdict(file)
    t.equal(await haloVerdict(file), theirs, `${name}: mon ${theirs === 'ok' ? 'accepts' : `rejects at line ${theirs}`}`)
    if (theirs !== 'ok') rejected++
  }
  t.ok(rejected >= 20, `mon rejected ${rejected} of ${files.length}: the comparison sees both verdicts`)
})

t.test('where halo knowingly differs from mon', { skip: existsSync(mon) ? false : 'mon is not installed' }, async (t) => {
  const differ: [string, string, 'mon rejects' | 'halo rejects'][] = [
    // mon's manual writes unack_summary bare but its parser refuses it; mon's alertafter alone takes no d and no decimals
    ['bare unack_summary', svc(['    unack_summary']), 'mon rejects'],
    ['alertafter 1d', svc(['    period', '      alertafter 1d']), 'mon rejects'],
    // mon reads these as nonsense without a word: any y is yes, an unclosed quote drops every argument,
    // `exit = 2` runs an alert named `=`, a week day is any word starting with its two letters
    ['unack_summary maybe', svc(['    unack_summary maybe']), 'halo rejects'],
    ['unclosed quote', svc(['    monitor tcp.monitor -p "80']), 'halo rejects'],
    ['exit = 2', svc(['    period', '      alert exit = 2 mail.alert']), 'halo rejects'],
    ['wd {mo;tu}', svc(['    period wd {mo;tu}']), 'halo rejects'],
  ]
  for (const [name, text, who] of differ) {
    const file = join(dir, `${name.replace(/\W/g, '_')}.cf`)
    writeFileSync(file, text)
    const [theirs, ours] = [monVerdict(file), await haloVerdict(file)]
    t.ok(who === 'mon rejects' ? theirs !== 'ok' && ours === 'ok' : theirs === 'ok' && ours !== 'ok', `${name}: ${who} (mon ${theirs}, halo ${ours})`)
  }
})
