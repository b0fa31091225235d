import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../../lib/exec.ts'
import { serveControl, type EngineStatus } from '../../ha.d/control.ts'

const clStatus = fileURLToPath(new URL('../../dist/bin/cl_status', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'halo-cls-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const status: EngineStatus = {
  version: '0.1.0',
  node: 'nodea',
  nodes: [
    { name: 'nodea', type: 'normal', status: 'active', links: [{ iface: 'hb0', status: 'up' }, { iface: 'hb1', status: 'up' }] },
    { name: 'nodeb', type: 'normal', status: 'dead', links: [{ iface: 'hb0', status: 'dead' }, { iface: 'hb1', status: 'dead' }] },
    { name: '10.250.0.254', type: 'ping', status: 'ping', links: [{ iface: '10.250.0.254', status: 'up' }] },
  ],
  resources: 'all',
  parameters: { keepalive: '200ms', deadtime: '1' },
}

const socket = join(dir, 'engine.sock')
const cl = (...args: string[]) => run([clStatus, ...args], { env: { PATH: process.env.PATH, HALO_CONTROL: socket }, timeout: 10_000 })

t.test('engine stopped: hbstatus says so with exit 1, the rest cannot sign on', async (t) => {
  const r = await cl('hbstatus')
  t.same([r.stdout, r.code], ['Heartbeat is stopped on this machine.\n', 1])
  const n = await cl('listnodes')
  t.equal(n.code, 1)
  t.match(n.stderr, /Cannot signon with heartbeat/)
})

t.test('engine running: the words and codes of Heartbeat', async (t) => {
  const server = await serveControl(socket, async () => ({ ok: true, status }))
  t.teardown(() => server.close())
  const expect: [string[], string, number][] = [
    [['hbstatus'], 'Heartbeat is running on this machine.\n', 0],
    [['listnodes'], 'nodea\nnodeb\n10.250.0.254\n', 0],
    [['listnodes', '-n'], 'nodea\nnodeb\n', 0],
    [['listnodes', '-p'], '10.250.0.254\n', 0],
    [['nodestatus', 'nodeb'], 'dead\n', 0],
    [['nodestatus', 'NodeA'], 'active\n', 0],
    [['nodestatus', 'nodeb', '-v'], 'The cluster node nodeb is dead\n', 0],
    [['nodetype', '10.250.0.254'], 'ping\n', 0],
    [['listhblinks', 'nodea'], '\thb0\n\thb1\n', 0],
    [['hblinkstatus', 'nodeb', 'hb1'], 'dead\n', 0],
    [['rscstatus'], 'all\n', 0],
    [['rscstatus', '-v'], 'This node is holding all resources.\n', 0],
    [['hbparameter', '-p', 'keepalive'], '200ms\n', 0],
  ]
  for (const [args, out, code] of expect) {
    const r = await cl(...args)
    t.same([r.stdout, r.code], [out, code], args.join(' '))
  }
})

t.test('bad questions: clear errors', async (t) => {
  const server = await serveControl(socket, async () => ({ ok: true, status }))
  t.teardown(() => server.close())
  const bad: [string[], RegExp, number][] = [
    [['bogus'], /^cl_status: bogus: invalid sub-command\.$/m, 11],
    [['nodestatus', 'nodec'], /nodec is not a node of this cluster/, 1],
    [['nodestatus'], /nodestatus needs a node name/, 1],
    [['hblinkstatus', 'nodea', 'eth9'], /nodea has no link eth9/, 1],
    [['hbparameter', '-p', 'nosuch'], /Cannot get parameter nosuch's value/, 1],
  ]
  for (const [args, why, code] of bad) {
    const r = await cl(...args)
    t.equal(r.code, code, args.join(' '))
    t.match(r.stderr, why)
  }
})
