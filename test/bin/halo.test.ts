// The built `halo`: its sub-commands share one parser, with help for each and a completion script; a
// wrong command line is a usage error (exit 2, the message and where help is), never a stack.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { run } from '../../lib/exec.ts'

const halo = (...args: string[]) => run([new URL('../../dist/bin/halo', import.meta.url).pathname, ...args], { timeout: 20_000 })

t.test('--help lists each command', async (t) => {
  const r = await halo('--help')
  t.equal(r.code, 0)
  t.match(r.stdout, /halo demo\s+run the example cluster/)
  t.match(r.stdout, /halo completion\s+print the bash completion script/)
  t.notMatch(r.stdout, /demo-appserver|demo-client/, "the demo's own programs are not the admin's commands")
})

t.test("a command's own help names its options", async (t) => {
  const r = await halo('demo', '--help')
  t.equal(r.code, 0)
  t.match(r.stdout, /--keep\s+leave the cluster running/)
})

for (const [argv, message] of [
  [[], /^halo: give a command\n/],
  [['bogus'], /^halo: Unknown argument: bogus\n/],
  [['demo', '--bogus'], /^halo: Unknown argument: bogus\n/],
] as const) {
  t.test(`halo ${argv.join(' ')}: a usage error`, async (t) => {
    const r = await halo(...argv)
    t.equal(r.code, 2)
    t.match(r.stderr, message)
    t.match(r.stderr, /halo --help lists the commands/)
    t.notMatch(r.stderr, /    at /, 'no stack')
  })
}

t.test('completion prints a bash script that completes the commands', async (t) => {
  const script = await halo('completion')
  t.equal(script.code, 0)
  t.match(script.stdout, /complete -o bashdefault -o default -F _halo_yargs_completions halo/)
  const words = await halo('--get-yargs-completions', 'halo', 'de')
  t.match(words.stdout.split('\n'), ['demo'])
})

t.test('the demo is loaded only when asked for: no static import of demo/, its programs still run from the bundle', async (t) => {
  const source = readFileSync(new URL('../../bin/halo.ts', import.meta.url), 'utf8')
  t.notMatch(source, /^import .* from '\.\.\/demo\//m, "bin/halo.ts imports demo/ only with import(): halo status does not evaluate it")
  const appserver = await halo('demo-appserver')
  t.equal(appserver.code, 2)
  t.equal(appserver.stderr.split('\n')[0], 'halo: demo-appserver start|stop|run', "the demo's application server, imported on demand")
  const client = await halo('demo-client')
  t.equal(client.code, 2)
  t.equal(client.stderr.split('\n')[0], 'halo: demo-client VIRTUAL-IP write PACE-MS | request PORT PACE-MS | rows | host')
})
