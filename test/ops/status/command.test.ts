// halo status's command line: --watch reprints until interrupted (then exits with the last health), bad
// values are refused by name. No cluster here: a node with no engine and no files, which must not hang.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../../lib/exec.ts'
import { until } from '../../../lib/wait.ts'
import { bin } from '../../harness/cluster.ts'
import { atEnd } from '../../harness/cleanup.ts'

const dir = mkdtempSync(join(tmpdir(), 'halo-status-cmd-'))
atEnd(t, ['rm', '-rf', dir])
// nothing of a node here: no engine socket, no ha.cf, no halo-mon on a port nobody uses
const env = { ...process.env, HALO_CONTROL: join(dir, 'none.sock') }
const args = ['status', '--confdir', dir, '--mon-port', '1']

t.test('--watch: a report each interval until SIGINT, then the exit code of the last', async (t) => {
  const child = spawn(bin('halo'), [...args, '--watch', '--interval', '0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => void child.kill('SIGKILL'))
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
  await until('three reports', () => out.split('Cluster status on').length > 3, 20_000)
  child.kill('SIGINT')
  t.equal(await exited, 2, 'the engine down: 2')
  t.match(out, /^Cluster status on \S+ at .*ENGINE DOWN/, 'to a pipe: one report after the other, no screen control')
  t.notMatch(out, /\x1b\[/)
})

t.test('bad values are refused by name, exit 2 with the usage', async (t) => {
  for (const [more, said] of [
    [['--interval', '0'], /--interval 0: give seconds, more than 0/],
    [['--timeout', '-1'], /--timeout -1: give seconds, more than 0/],
    [['--output-as', 'yaml'], /Invalid values:\n\s+Argument: output-as, Given: "yaml", Choices: "text", "json", "xml"/],
  ] as const) {
    const r = await run([bin('halo'), ...args, ...more], { env, timeout: 20_000 })
    t.equal(r.code, 2, more.join(' '))
    t.match(r.stderr, said)
    t.equal(r.stdout, '', 'nothing reported')
  }
})

t.test('no files, no engine: down (2), and why', async (t) => {
  const r = await run([bin('halo'), ...args, '--output-as=json'], { env, timeout: 20_000 })
  t.equal(r.code, 2)
  const report = JSON.parse(r.stdout)
  t.equal(report.health, 'down')
  t.match(report.problems, [new RegExp(`^${dir}/ha\\.cf: cannot read it`), /the heartbeat engine is not running \(nothing listens on .*none\.sock\)/])
})
