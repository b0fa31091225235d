// The resolve step, in-process through dispatch: once per call, after the binaries and before validate,
// its result on the context that validate and the action get; its failures answer like validate's.
import t from 'tap'
import { HaloError } from '../../../lib/errors.ts'
import { Logger } from '../../../lib/log.ts'
import { OCF } from '../../../lib/ocf/codes.ts'
import { dispatch } from '../../../lib/ocf/run.ts'
import { defineAgent, type ActionContext, type AgentSpec, type ParamSpecs } from '../../../lib/ocf/spec.ts'

const parameters = {
  path: { type: 'string', required: true, shortdesc: 'a path' },
  needs: { type: 'string', default: 'true', shortdesc: 'a program it needs' },
} as const
interface Resolved {
  path: string
  call: number
}
type Ctx = ActionContext<typeof parameters, Resolved>

function agent() {
  const steps: string[] = []
  const seen: Resolved[] = []
  let calls = 0
  const record = (step: string) => (ctx: Ctx) => {
    steps.push(step)
    seen.push(ctx.resolved)
    return OCF.SUCCESS
  }
  const spec = defineAgent({
    name: 'Resolving',
    version: '1.0',
    shortdesc: 'resolves its path',
    longdesc: 'for testing the runtime',
    parameters,
    binaries: (p) => {
      steps.push('binaries')
      return [p.needs]
    },
    resolve: (p): Resolved => {
      steps.push('resolve')
      if (p.path === 'missing') throw new HaloError(OCF.ERR_INSTALLED, 'parameter path: missing is not here')
      if (p.path === 'bad') throw new HaloError(OCF.ERR_CONFIGURED, 'parameter path: bad is bad')
      return { path: `/resolved/${p.path}`, call: ++calls }
    },
    validate: (ctx) => void record('validate')(ctx),
    actions: { start: record('start'), stop: record('stop'), monitor: record('monitor') },
  })
  return { spec: spec as unknown as AgentSpec<ParamSpecs, unknown>, steps, seen }
}

const log = new Logger({ tag: 'test', stderr: false })
const env = (extra: Record<string, string>) => ({ PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf', OCF_EXIT_REASON_PREFIX: 'reason:', ...extra })

t.test('resolve runs once, after the binaries, before validate; validate and the action see its result', async (t) => {
  for (const action of ['start', 'monitor', 'stop']) {
    const a = agent()
    t.equal(await dispatch(a.spec, [action], env({ OCF_RESKEY_path: 'x', OCF_RESKEY_CRM_meta_interval: '10000' }), log), OCF.SUCCESS, action)
    t.same(a.steps, ['binaries', 'resolve', 'validate', action], `${action}: the order`)
    t.same(a.seen, [{ path: '/resolved/x', call: 1 }, { path: '/resolved/x', call: 1 }], `${action}: one result for both`)
    t.equal(a.seen[0], a.seen[1], `${action}: the same object`)
  }
  const a = agent()
  t.equal(await dispatch(a.spec, ['validate-all'], env({ OCF_RESKEY_path: 'x' }), log), OCF.SUCCESS)
  t.same(a.steps, ['binaries', 'resolve', 'validate'], 'validate-all resolves too')
})

t.test('a resolve that fails: its code, nothing else runs; a probe of what is not here says not running', async (t) => {
  const bad = agent()
  t.equal(await dispatch(bad.spec, ['start'], env({ OCF_RESKEY_path: 'bad' }), log), OCF.ERR_CONFIGURED)
  t.same(bad.steps, ['binaries', 'resolve'], 'no validate, no start')
  const missing = agent()
  t.equal(await dispatch(missing.spec, ['start'], env({ OCF_RESKEY_path: 'missing' }), log), OCF.ERR_INSTALLED)
  const probe = agent()
  t.equal(await dispatch(probe.spec, ['monitor'], env({ OCF_RESKEY_path: 'missing', OCF_RESKEY_CRM_meta_interval: '0' }), log), OCF.NOT_RUNNING)
  t.same(probe.steps, ['binaries', 'resolve'])
  const noBinary = agent()
  t.equal(await dispatch(noBinary.spec, ['start'], env({ OCF_RESKEY_path: 'x', OCF_RESKEY_needs: '/nonexistent/prog' }), log), OCF.ERR_INSTALLED)
  t.same(noBinary.steps, ['binaries'], 'a missing program is reported before anything is resolved')
})
