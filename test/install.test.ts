// What ./install.sh put in place (CI runs it before the tests): the commands on PATH, the OCF provider,
// and systemd units that systemd itself accepts.
import { existsSync } from 'node:fs'
import t from 'tap'
import { run } from '../lib/exec.ts'

const installed = existsSync('/var/lib/halo/install.manifest')

t.test('the commands and agents are where admins look for them', { skip: !installed && 'halo is not installed (./install.sh)' }, async (t) => {
  t.match((await run(['/usr/sbin/halo-heartbeat', '-V'])).stdout, /^3\.0\.6 \(halo /)
  const mon = await run(['/usr/sbin/halo-mon', '-c', '/nonexistent/mon.cf'])
  t.not(mon.code, 0, 'halo-mon refuses a missing mon.cf')
  t.match(mon.stderr, /\/nonexistent\/mon.cf/, 'and names it')
  for (const agent of ['IPaddr', 'IPaddr2', 'Filesystem', 'mysql', 'appserver', 'drbd', 'drbddisk']) {
    t.ok(existsSync(`/usr/lib/ocf/resource.d/halo/${agent}`), `ocf:halo:${agent}`)
  }
  t.ok(existsSync('/usr/lib/heartbeat/hb_standby'), 'hb_standby where ha-down.alert calls it')
  t.ok(existsSync('/usr/lib/halo/bin/drbd-peer-outdater'), 'DRBD\'s fence-peer handler where r0.res names it')
  t.equal((await run(['/usr/sbin/halo-drbd-peer-outdater', '-h'])).code, 0)
})

t.test('systemd accepts the units', { skip: !installed && 'halo is not installed (./install.sh)' }, async (t) => {
  for (const unit of ['halo-heartbeat.service', 'halo-mon.service']) {
    const r = await run(['systemd-analyze', 'verify', `/usr/lib/systemd/system/${unit}`])
    t.equal(r.code, 0, `${unit}: ${r.stderr}`)
  }
})
