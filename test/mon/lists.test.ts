/** The list commands admins and mon.cgi use, with the replies mon 1.3 gave for the same mon.cf. */
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { serve } from '../../mon/server.ts'
import { ask, TestMon } from '../fixtures/mon/daemon.ts'

const monCf = (dir: string) => `hostgroup g1 127.0.0.1

alias web
service g1 s1
items are here
  two  words

alias empty

watch g1
    service s1
        STAMPS=${dir}/s1
        description the first "one" ok
        interval 1h
        randskew 0.5s
        exclude_period wd {Sat} hr {1am-2am}
        depend SELF:s2 && g1:s2
        monitor stamp.monitor
    service s2
        STAMPS=${dir}/s2
        interval 1h
        monitor stamp.monitor
`

async function served(t: Test) {
  const mon = new TestMon(t, monCf)
  const server = await serve(await mon.start(), '127.0.0.1', 0)
  t.teardown(() => server.close())
  return (command: string) => ask((server.address() as AddressInfo).port, command)
}

t.test('list descriptions, aliases, aliasgroups', async (t) => {
  const list = await served(t)
  t.equal(await list('list descriptions'), 'g1 s1 the\\20first\\20\\22one\\22\\20ok\ng1 s2 \n220 list descriptions completed\n')
  const web = 'alias web\nservice g1 s1\nitems are here\ntwo  words\n\n'
  t.equal(await list('list aliases'), `${web}220 list aliases completed\n`, 'an alias with no lines is none, as in mon')
  t.equal(await list('list aliases web'), `${web}220 list aliases completed\n`)
  t.equal(await list('list aliases web nothere'), `${web}alias nothere\n\n220 list aliases completed\n`)
  t.equal(await list('list aliasgroups'), 'web\n220 list aliasgroups completed\n')
})

t.test('list deps, views, warnings, dtlog', async (t) => {
  const list = await served(t)
  t.equal(await list('list deps'), "exp g1 s1 'g1:s2\\20&&\\20g1:s2'\ncmp g1 s1 g1:s2 g1:s2\nexp g1 s2 'NONE'\ncmp g1 s2 NONE\n220 list deps completed\n")
  t.equal(await list('list views'), 'views \n220 list group completed\n')
  t.equal(await list('list warnings'), '220 list successes completed\n')
  t.equal(await list('list dtlog'), '520 list dtlog error, dtlogging is not turned on\n')
})

t.test('list opstatus shows depend, exclude_period and randskew where mon does', async (t) => {
  const list = await served(t)
  const [s1, s2] = (await list('list opstatus')).split('\n')
  t.match(s1, / depend=g1:s2\\20&&\\20g1:s2 hostdepend= monitordepend= alertdepend= monitor=stamp\.monitor /)
  t.match(s1, / interval=3600 monitor_duration=-1 monitor_running=0 exclude_period=wd\\20\{Sat\}\\20hr\\20\{1am-2am\} randskew=0\.5$/)
  t.match(s2, / depend= hostdepend= .* monitor_running=0$/)
})
