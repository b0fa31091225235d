// The metrics' readings of halo-mon and DRBD: one reading per MAX_AGE_MS however hard the scrapes come,
// scrapes that arrive together share one, and a reader that fails leaves the next scrape free to ask again.
import t from 'tap'
import { MAX_AGE_MS, Probes, type ProbeReaders } from '../../../ha.d/metrics/probes.ts'
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
