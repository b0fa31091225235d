import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../../lib/process.ts'
import { virtualNode } from './node.ts'

t.test('a virtual node has its own name, /run and /etc/ha.d; a power cut ends all of it', async (t) => {
  const node = await virtualNode(t, 'nodea', { command: ['sleep', 'infinity'] })
  t.equal((await node.exec(['hostname'])).stdout.trim(), 'nodea')
  writeFileSync(join(node.dir, 'etc/ha.d/ha.cf'), 'node nodea\n')
  t.equal((await node.exec(['cat', '/etc/ha.d/ha.cf'])).stdout, 'node nodea\n', 'its own /etc/ha.d')
  const run = (await node.exec(['ls', '/run'])).stdout.split('\n').filter(Boolean).sort().join(' ')
  t.equal(run, 'halo heartbeat mount mysqld resource-agents', 'a /run of its own (mount(8) keeps its utab there)')
  const sleeper = (await node.exec(['pgrep', '-x', 'sleep'])).stdout.trim()
  t.ok(sleeper, 'the command runs inside')
  t.equal((await node.exec(['ps', '-o', 'ppid=', '-p', sleeper])).stdout.trim(), '1', "under the node's own init, its PID 1")
  const init = node.pid
  await node.powerCut()
  t.notOk(isAlive(init), 'PID 1 is gone')
  const left = await node.exec(['true'])
  t.not(left.code, 0, 'the node cannot be entered any more')
})
