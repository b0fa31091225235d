// The demo stack's fencing: the example's ha.cf gets its stonith_host lines filled in as an admin fills them
// in, and a machine without the fencing packages is told which ones bring it.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Bmc } from '../../demo/bmc.ts'
import { FENCING_PACKAGES, fencingMissing, fillStonithLines } from '../../demo/stack-fencing.ts'

const file = fileURLToPath(new URL('../../examples/mysql-appserver-cluster/ha.cf', import.meta.url))
const example = readFileSync(file, 'utf8')
const bmc = (address: string, password: string) => ({ address, user: 'admin', password }) as Bmc
const bmcs = new Map([
  ['node1', bmc('10.0.9.1', '0123456789abcdef')],
  ['node2', bmc('10.0.9.2', 'fedcba9876543210')],
])

t.test("the example's commented stonith_host lines, uncommented and filled in; nothing else changes", async (t) => {
  const filled = fillStonithLines(example, bmcs, file)
  const stonith = filled.split('\n').filter((l) => l.startsWith('stonith_host'))
  t.same(stonith, [
    'stonith_host node2 external/ipmi node1 10.0.9.1 admin 0123456789abcdef lan',
    'stonith_host node1 external/ipmi node2 10.0.9.2 admin fedcba9876543210 lan',
  ], 'each names the node that uses it: Heartbeat keeps only the last line that applies to a node')
  const others = (text: string) => text.split('\n').filter((l) => !/stonith_host \S+ external\/ipmi/.test(l))
  t.same(others(filled), others(example), 'every other line as shipped')
})

t.test('an ha.cf without the line to fill in: an error naming the file and the node', async (t) => {
  const without = example.replace(/^#stonith_host \S+ external\/ipmi node2 .*\n/m, '')
  t.throws(() => fillStonithLines(without, bmcs, file), { message: `${file}: no commented \`stonith_host … external/ipmi node2 …\` line to fill in with node2's BMC` })
})

t.test('the programs of the fencing act, and the Debian packages that bring them', async (t) => {
  t.same(fencingMissing([]), ['ipmi_sim', 'ipmitool', 'stonith'], 'none found where there is none')
  t.same(FENCING_PACKAGES, ['openipmi', 'ipmitool', 'cluster-glue'])
})
