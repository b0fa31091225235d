import t from 'tap'
import { parseParams, paramsFromEnv } from '../../../lib/ocf/params.ts'

const specs = {
  ip: { type: 'string', required: true, shortdesc: 'address' },
  count: { type: 'integer', default: 5, shortdesc: 'count' },
  bg: { type: 'boolean', default: true, shortdesc: 'background' },
  interval: { type: 'time', default: '200', unit: 'ms', shortdesc: 'interval' },
  mode: { type: 'string', choices: ['true', 'safe', 'false'], shortdesc: 'mode' },
} as const

t.test('defaults fill unset and empty values; strings are typed', async (t) => {
  const p = parseParams(specs, { ip: '10.0.0.5', count: '', bg: undefined })
  t.same(p, { ip: '10.0.0.5', count: 5, bg: true, interval: 200, mode: undefined })
  const q = parseParams(specs, { ip: 'x', count: '7', bg: 'no', interval: '1s', mode: 'safe' })
  t.same(q, { ip: 'x', count: 7, bg: false, interval: 1000, mode: 'safe' })
})

t.test('a bad value is error 6 naming the parameter and the value', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{}, /^parameter ip is required/],
    [{ ip: 'x', count: '5x' }, /^parameter count: "5x" is not an integer$/],
    [{ ip: 'x', bg: 'maybe' }, /^parameter bg: "maybe" is not a boolean/],
    [{ ip: 'x', interval: 'soon' }, /^parameter interval: "soon" is not a duration/],
    [{ ip: 'x', mode: 'always' }, /^parameter mode: "always" is not one of true, safe, false$/],
  ]
  for (const [raw, why] of cases) {
    t.throws(() => parseParams(specs, raw), { exitCode: 6, message: why }, JSON.stringify(raw))
  }
})

t.test('OCF_RESKEY_* by parameter name; other variables ignored', async (t) => {
  const raw = paramsFromEnv(specs, { OCF_RESKEY_ip: '::1', OCF_RESKEY_CRM_meta_timeout: '20000', OCF_RESKEY_other: 'x' })
  t.equal(raw.ip, '::1')
  t.notOk('other' in raw)
  t.notOk('CRM_meta_timeout' in raw)
})

t.test('an old name (alias) is read when the parameter is unset or empty; the current name wins', async (t) => {
  const aliased = { cidr_netmask: { type: 'string', aliases: ['netmask'], shortdesc: 'prefix' } } as const
  t.equal(paramsFromEnv(aliased, { OCF_RESKEY_netmask: '24' }).cidr_netmask, '24')
  t.equal(paramsFromEnv(aliased, { OCF_RESKEY_cidr_netmask: '', OCF_RESKEY_netmask: '24' }).cidr_netmask, '24', 'empty counts as unset')
  t.equal(paramsFromEnv(aliased, { OCF_RESKEY_cidr_netmask: '16', OCF_RESKEY_netmask: '24' }).cidr_netmask, '16')
  t.equal(paramsFromEnv(aliased, {}).cidr_netmask, undefined)
  t.notOk('netmask' in paramsFromEnv(aliased, { OCF_RESKEY_netmask: '24' }), 'the old name is no parameter of its own')
})
