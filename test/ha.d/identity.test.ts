import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadOrCreateUuid, nextGeneration } from '../../ha.d/identity.ts'

const stateDir = (t: { teardown(f: () => void): void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-id-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('the generation starts at the clock, only grows, and is kept in Heartbeat\'s format', async (t) => {
  const dir = stateDir(t)
  t.equal(nextGeneration(dir, 1795388603), 1795388603)
  t.equal(readFileSync(join(dir, 'hb_generation'), 'utf8'), '     1795388603\n', '%15lu')
  t.equal(nextGeneration(dir, 1), 1795388604, 'a clock set back does not lower it')
  writeFileSync(join(dir, 'hb_generation'), '             41\n')
  t.equal(nextGeneration(dir), 42, "a Heartbeat node's own generation goes on")
})

t.test('a damaged generation file is an error, not a reset', async (t) => {
  const dir = stateDir(t)
  writeFileSync(join(dir, 'hb_generation'), 'garbage\n')
  t.throws(() => nextGeneration(dir), { message: /hb_generation: "garbage" is not a generation number/ })
  t.equal(readFileSync(join(dir, 'hb_generation'), 'utf8'), 'garbage\n', 'left as it was')
})

t.test('the uuid is made once and kept', async (t) => {
  const dir = stateDir(t)
  const a = loadOrCreateUuid(dir)
  t.equal(a.length, 16)
  t.same(loadOrCreateUuid(dir), a)
  writeFileSync(join(dir, 'hb_uuid'), 'short')
  t.throws(() => loadOrCreateUuid(dir), { message: /hb_uuid: 5 bytes, a node uuid has 16/ })
})
