// The engine's doors for orders: the control socket is root's alone from its first moment whatever umask
// the engine inherited, and a legacy FIFO that someone else owns or may write, or a link, is refused.
import t from 'tap'
import { chownSync, existsSync, lstatSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runOk } from '../../lib/exec.ts'
import { account } from '../../lib/users.ts'
import { serveControl } from '../../ha.d/control.ts'
import { openFifo } from '../../ha.d/fifo.ts'

const dir = mkdtempSync(join(tmpdir(), 'halo-control-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('the control socket is bound mode 600 even under umask 0', async (t) => {
  const socket = join(dir, 'heartbeat.sock')
  const saved = process.umask(0)
  let mode: number
  let server: Awaited<ReturnType<typeof serveControl>>
  try {
    const listening = serveControl(socket, async () => ({ ok: true }))
    // the bind has happened by now; nothing else has run yet (a chmod in the listen callback has not)
    mode = lstatSync(socket).mode & 0o777
    server = await listening
  } finally {
    process.umask(saved)
  }
  t.teardown(() => server.close())
  t.equal(mode.toString(8), '600', 'no moment in which others may connect')
  t.equal((statSync(socket).mode & 0o777).toString(8), '600')
  t.equal(process.umask(), saved, "the engine's umask is given back")
})

t.test('a FIFO of the wrong owner or mode, a link, a plain file: refused, nothing read from it', async (t) => {
  const nobody = await account('nobody')
  const fifo = (name: string, mode: string) => {
    const path = join(dir, name)
    return runOk(['mkfifo', '-m', mode, path]).then(() => path)
  }
  const others = await fifo('fifo-others', '622')
  const owned = await fifo('fifo-nobody', '600')
  chownSync(owned, nobody.uid, nobody.gid)
  const link = join(dir, 'fifo-link')
  symlinkSync(await fifo('fifo-target', '600'), link)
  const plain = join(dir, 'fifo-plain')
  writeFileSync(plain, '')
  const cases: [string, RegExp][] = [
    [others, /is mode 622: others could order/],
    [owned, new RegExp(`belongs to uid ${nobody.uid}`)],
    [link, /is a symbolic link/],
    [plain, /exists and is not a FIFO/],
  ]
  for (const [path, why] of cases) await t.rejects(openFifo(path), why, path)
  const fresh = join(dir, 'fifo-new')
  const sock = await openFifo(fresh)
  sock.destroy()
  t.ok(existsSync(fresh) && (statSync(fresh).mode & 0o777) === 0o600, 'a missing FIFO is made, mode 600, and opened')
})
