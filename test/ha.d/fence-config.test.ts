// Fencing configured wrong stops halo-heartbeat at start, as Heartbeat refuses a bad stonith line: the
// error names ha.cf:line or fence.cf:line, in the output and in the log, and nothing is started.
import t, { type Test } from 'tap'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../lib/exec.ts'
import { bin } from '../harness/cluster.ts'

const HACF = `keepalive 200ms
deadtime 1
initdead 3
bcast eth0
node nodea
node nodeb
use_logd no
logfile LOG
`

/** Starts the engine on these files; its exit code, output and log. */
async function start(t: Test, stonith: string, fenceCf?: { text: string; mode: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'halo-fence-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const log = join(dir, 'ha-log')
  writeFileSync(join(dir, 'ha.cf'), HACF.replace('LOG', log) + stonith)
  writeFileSync(join(dir, 'nodeinfo'), 'nodea\n')
  writeFileSync(join(dir, 'haresources'), 'nodea 10.250.0.1\n')
  writeFileSync(join(dir, 'authkeys'), 'auth 1\n1 sha1 k\n', { mode: 0o600 })
  if (fenceCf) {
    writeFileSync(join(dir, 'fence.cf'), fenceCf.text)
    chmodSync(join(dir, 'fence.cf'), fenceCf.mode)
  }
  // errors come before any socket is opened; the control socket is a private one all the same
  const r = await run([process.execPath, bin('halo-heartbeat'), '-f', '-c', dir], { env: { ...process.env, HALO_CONTROL: join(dir, 'sock'), HA_VARLIB: dir }, timeout: 20_000 })
  // fence.cf is read with ha.cf, before there is a log: its errors are only in the output
  return { code: r.code, out: r.stderr + r.stdout, log: existsSync(log) ? readFileSync(log, 'utf8') : '', dir }
}

const refused: [string, string, RegExp][] = [
  ['an unknown plugin', 'stonith_host * external/nosuch x\n', /ha\.cf:9: unknown stonith type external\/nosuch/],
  ['a missing parameter', 'stonith_host * external/ipmi nodeb 10.250.9.2 admin\n', /ha\.cf:9: stonith_host external\/ipmi needs 5 parameters .*missing: passwd interface/],
  ['a host not in ha.cf', 'stonith_host nodec null nodeb\n', /ha\.cf:9: stonith_host nodec: not a node of ha\.cf/],
  ['a device fencing a node not in ha.cf', 'stonith_host * null nodeb nodec\n', /ha\.cf:9: stonith null fences nodec, not a node of ha\.cf/],
]
for (const [what, line, why] of refused) {
  t.test(`refused at start: ${what}`, async (t) => {
    const r = await start(t, line)
    t.equal(r.code, 6, 'exit 6, as a configuration error')
    t.match(r.out, why)
    t.match(r.log, why, 'said in the log too')
    t.notMatch(r.log, /starting on/, 'the engine never started')
  })
}

t.test('fence.cf: a node not in ha.cf, an agent not installed, a file others can read', async (t) => {
  const cases: [string, number, RegExp][] = [
    ['device nodec fence_ipmilan ip=10.250.9.2\n', 0o600, /fence\.cf:1: node nodec is not a node of ha\.cf/],
    ['delay 1\ndevice nodeb fence_nosuch ip=10.250.9.2\n', 0o600, /fence\.cf:2: fence_nosuch is not installed/],
    ['device nodeb stonith ip=10.250.9.2\n', 0o600, /fence\.cf:1: stonith is not a fence agent/],
    ['device nodeb fence_ipmilan password\n', 0o600, /fence\.cf:1: password: write device NODE/],
    ['device nodeb fence_ipmilan password=x\n', 0o644, /fence\.cf: it holds passwords but is mode 644/],
  ]
  for (const [text, mode, why] of cases) {
    const r = await start(t, '', { text, mode })
    t.equal(r.code, 6, text)
    t.match(r.out, why)
  }
})

t.test("a stonith_host password is not in the log, nor in the parameters scripts get", async (t) => {
  const r = await start(t, 'stonith_host * external/ipmi nodeb 10.250.9.2 admin s3cret-pw\n')
  t.equal(r.code, 6)
  t.notMatch(r.out + r.log, /s3cret-pw/)
})
