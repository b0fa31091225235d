// The lab's clean-up (demo/scope.ts): a ClosableScope undoes its steps last first, whatever one of them
// throws, and again after more are registered; atEnd's argv runs once, at the scope's end (or before, when
// asked) or, when the process is ended first (TERM, as tap's timeout sends), at its exit, with the steps
// of every open scope.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClosableScope, atEnd } from '../../demo/scope.ts'

const scopeModule = fileURLToPath(new URL('../../demo/scope.ts', import.meta.url))

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'halo-scope-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('close() runs the steps last first, past one that throws, and a scope serves again after it', async (t) => {
  const scope = new ClosableScope()
  const done: string[] = []
  scope.teardown(() => done.push('first'))
  scope.teardown(() => {
    throw new Error('a step that fails')
  })
  scope.teardown(() => done.push('last'))
  scope.close()
  t.same(done, ['last', 'first'])
  scope.close()
  t.same(done, ['last', 'first'], 'closing twice undoes nothing twice')
  scope.teardown(() => done.push('again'))
  scope.close()
  t.same(done, ['last', 'first', 'again'])
})

t.test("atEnd's argv runs at the scope's end, once", async (t) => {
  const mark = join(scratch(), 'mark')
  const scope = new ClosableScope()
  atEnd(scope, ['sh', '-c', `echo x >>${mark}`])
  scope.close()
  scope.close()
  t.equal(readFileSync(mark, 'utf8'), 'x\n')
})

t.test("atEnd's function runs the argv now, and then not at the scope's end", async (t) => {
  const mark = join(scratch(), 'mark')
  const scope = new ClosableScope()
  const now = atEnd(scope, ['sh', '-c', `echo x >>${mark}`])
  now()
  t.equal(readFileSync(mark, 'utf8'), 'x\n', 'run at once')
  now()
  scope.close()
  t.equal(readFileSync(mark, 'utf8'), 'x\n', 'and only then')
})

t.test('a process ended by TERM undoes what is left: atEnd steps of a scope that never ended, and open ClosableScopes', async (t) => {
  const dir = scratch()
  // a tap Test killed before its teardown: its steps never run through it
  const child = `
const { ClosableScope, atEnd } = await import(${JSON.stringify(scopeModule)})
const { writeFileSync } = await import('node:fs')
atEnd({ teardown() {} }, ['touch', ${JSON.stringify(join(dir, 'argv'))}])
new ClosableScope().teardown(() => writeFileSync(${JSON.stringify(join(dir, 'function'))}, ''))
console.log('ready')
setInterval(() => {}, 1000)`
  const proc = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => void proc.kill('SIGKILL'))
  await new Promise<void>((resolve, reject) => {
    proc.stdout.once('data', () => resolve())
    proc.once('exit', (code) => reject(new Error(`the child exited (${code}) before it was ready`)))
  })
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  proc.kill('SIGTERM')
  t.equal(await exited, 143, 'TERM becomes an exit (128 + 15)')
  t.ok(existsSync(join(dir, 'argv')), "the atEnd step ran at the process's exit")
  t.ok(existsSync(join(dir, 'function')), "the open ClosableScope's step ran at the process's exit")
})
