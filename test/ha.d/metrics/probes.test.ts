// The metrics' readings of halo-mon and DRBD: one reading per MAX_AGE_MS however hard the scrapes come,
// scrapes that arrive together share one, and a reader that fails leaves the next scrape free to ask again;
// a node's readers find drbdadm as drbddisk does and do not run it without DRBD's module.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MAX_AGE_MS, Probes, nodeReaders, type ProbeReaders } from '../../../ha.d/metrics/probes.ts'
import { freePort } from '../../fixtures/mon/daemon.ts'
import type { MonService } from '../../../lib/moncmd.ts'

const service: MonService = { group: 'service', service: 'mysql', opstatus: 'ok', summary: '' }

function readers() {
  const asked = { mon: 0, drbd: 0 }
  let release: () => void = () => {}
  let gate = Promise.resolve()
  const r: ProbeReaders & { asked: typeof asked; hold(): void; go(): void } = {
    asked,
    hold: () => (gate = new Promise((resolve) => (release = resolve))),
    go: () => release(),
    mon: async () => {
      asked.mon++
      await gate
      return [service]
    },
    drbd: async () => {
      asked.drbd++
      return undefined
    },
  }
  return r
}

t.test('read once per period; concurrent scrapes share the reading', async (t) => {
  let now = 1000
  const r = readers()
  const probes = new Probes(r, () => now)
  r.hold()
  const both = [probes.get(), probes.get()]
  r.go()
  const [a, b] = await Promise.all(both)
  t.same(a, { mon: [service], drbd: undefined }, 'halo-mon answered, no DRBD: absent')
  t.equal(a, b, 'the same reading')
  t.same(r.asked, { mon: 1, drbd: 1 })
  now += MAX_AGE_MS - 1
  await probes.get()
  t.same(r.asked, { mon: 1, drbd: 1 }, 'still young: not asked again')
  now += 1
  await probes.get()
  t.same(r.asked, { mon: 2, drbd: 2 }, 'older than MAX_AGE_MS: asked again')
})

t.test('a reader that throws: the scrape fails, the next one asks again', async (t) => {
  let fail = true
  let asked = 0
  const probes = new Probes({
    mon: async () => {
      asked++
      if (fail) throw new Error('broken')
      return [service]
    },
    drbd: async () => undefined,
  })
  await t.rejects(probes.get(), { message: 'broken' })
  fail = false
  t.same(await probes.get(), { mon: [service], drbd: undefined })
  t.equal(asked, 2)
})

t.test("a node's readers: DRBD as drbddisk finds it, and not run at all without its module; no halo-mon: absent", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-probes-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const drbdadm = join(dir, 'drbdadm')
  const ran = join(dir, 'ran')
  writeFileSync(drbdadm, `#!/bin/sh\necho "$@" >> ${ran}\nprintf 'r0 role:Secondary\\n  disk:UpToDate\\n  nodea role:Primary\\n    peer-disk:UpToDate\\n\\n'\n`, { mode: 0o755 })
  const proc = join(dir, 'proc-drbd')
  const port = await freePort()
  const none = nodeReaders({ host: '127.0.0.1', port }, { ...process.env, HA_DRBDADM: drbdadm, HA_PROC_DRBD: join(dir, 'no-proc-drbd') })
  t.equal(await none.drbd(), undefined, 'no module: no DRBD')
  t.notOk(existsSync(ran), 'and drbdadm was not run')
  t.equal(await none.mon(), undefined, 'nothing on the port: no halo-mon')
  writeFileSync(proc, 'version: 9.2.0\n')
  const some = nodeReaders({ host: '127.0.0.1', port }, { ...process.env, HA_DRBDADM: drbdadm, HA_DRBDCONF: join(dir, 'drbd.conf'), HA_PROC_DRBD: proc })
  t.same(await some.drbd(), [{ name: 'r0', role: 'Secondary', disk: 'UpToDate', peers: [{ name: 'nodea', connection: 'Connected', role: 'Primary', disk: 'UpToDate' }] }])
  t.equal(readFileSync(ran, 'utf8'), `-c ${join(dir, 'drbd.conf')} status\n`, 'drbdadm -c HA_DRBDCONF status')
})
