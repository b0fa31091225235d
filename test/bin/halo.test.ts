// The built `halo`: its sub-commands share one parser, with help for each and a completion script; a
// wrong command line is a usage error (exit 2, the message and where help is), never a stack.
import t from 'tap'
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
