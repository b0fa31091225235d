// What ./install.sh put in place (CI runs it before the tests): the halo package, its commands on PATH,
// the OCF provider and man pages, systemd units that systemd itself accepts, and nothing of another
// cluster stack or of the services the cluster starts enabled at boot.
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { run } from '../lib/exec.ts'

const status = await run(['dpkg-query', '-W', '-f=${db:Status-Abbrev}', 'halo'])
const installed = status.stdout.trim() === 'ii'
const skip = !installed && 'the halo package is not installed (./install.sh)'

t.test('the commands and agents are where admins look for them', { skip }, async (t) => {
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
  t.equal((await run(['man', '-w', 'halo-heartbeat'])).stdout.trim(), '/usr/share/man/man8/halo-heartbeat.8.gz')
})

t.test('systemd accepts the units', { skip }, async (t) => {
  for (const unit of ['halo-heartbeat.service', 'halo-mon.service']) {
    const r = await run(['systemd-analyze', 'verify', `/usr/lib/systemd/system/${unit}`])
    t.equal(r.code, 0, `${unit}: ${r.stderr}`)
  }
})

t.test('nothing of another cluster stack, nor what the cluster starts, is enabled at boot', { skip }, async (t) => {
  const units = ['heartbeat', 'pacemaker', 'corosync', 'mariadb', 'mon', 'halo-heartbeat', 'halo-mon'].map((u) => `${u}.service`)
  for (const unit of [...units, 'mariadb.socket']) {
    const r = await run(['systemctl', 'is-enabled', unit])
    t.not(r.stdout.trim(), 'enabled', `${unit} is ${r.stdout.trim() || 'not installed'}`)
  }
})

t.test("install.sh reads halo check's list of the units a cluster node must not start at boot", async (t) => {
  // install.sh's own lines (the list read, and enabled_at_boot over it), run alone from the repository root
  const repo = new URL('..', import.meta.url).pathname
  const script = `die() { echo "die: $*"; exit 1; }
source <(sed -n '/^CLUSTER_OWNED_LIST=/p; /^read -ra CLUSTER_OWNED/,/no unit read/p' install.sh)
printf '%s\\n' "\${CLUSTER_OWNED[@]}"`
  const r = await run(['bash', '-c', script], { cwd: repo })
  t.equal(r.code, 0, r.stderr)
  const list = JSON.parse(readFileSync(new URL('../ops/check/cluster-owned.json', import.meta.url), 'utf8')) as string[]
  t.same(r.stdout.trim().split('\n'), list, 'the same units, in order')
  t.ok(list.includes('heartbeat.service') && list.includes('mariadb.socket'))
})
