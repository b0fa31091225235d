// Root's scratch and temporary files in directories others write ($TMPDIR, a pid file's directory): a
// link planted there under the name halo would use must not make root write, truncate or create a file.
import t from 'tap'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../../lib/atomic.ts'
import { run } from '../../lib/exec.ts'
import { account } from '../../lib/users.ts'

const root = mkdtempSync(join(tmpdir(), 'halo-scratch-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))

/** a root-owned 0600 file, and a directory the unprivileged user owns */
async function setting() {
  const nobody = await account('nobody')
  const secret = join(root, `secret-${Math.random().toString(36).slice(2)}`)
  writeFileSync(secret, 'root only\n', { mode: 0o600 })
  const userDir = mkdtempSync(join(root, 'user-'))
  chownSync(userDir, nobody.uid, nobody.gid)
  return { secret, userDir }
}

t.test("run's merged output: the user's links in $TMPDIR lead nowhere", async (t) => {
  const { secret, userDir } = await setting()
  // the names the merged output file had: halo-output-<pid>-<n>; the user plants them all
  for (let n = 0; n < 20; n++) symlinkSync(secret, join(userDir, `halo-output-${process.pid}-${n}`))
  const saved = process.env.TMPDIR
  process.env.TMPDIR = userDir
  t.teardown(() => void (saved === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = saved)))
  const r = await run(['sh', '-c', 'echo out; echo err >&2'], { mergeStderr: true, timeout: 10_000 })
  t.equal(r.stdout, 'out\nerr\n', 'the output is captured all the same')
  t.equal(readFileSync(secret, 'utf8'), 'root only\n', "the root-owned file is untouched")
  t.same(readdirSync(userDir).filter((f) => !f.startsWith('halo-output-')), [], 'nothing left behind')
})

t.test('writeFileAtomic: a link planted under the temporary name is not written through', async (t) => {
  const { secret, userDir } = await setting()
  const target = join(userDir, 'server.pid')
  symlinkSync(secret, `${target}.tmp.${process.pid}`)
  writeFileAtomic(target, '42\n')
  t.equal(readFileSync(target, 'utf8'), '42\n')
  t.equal(readFileSync(secret, 'utf8'), 'root only\n', 'the root-owned file is untouched')
  t.ok(existsSync(`${target}.tmp.${process.pid}`), "the user's link is left as it was")
  t.equal(readdirSync(userDir).length, 2, 'no temporary file left')
})
