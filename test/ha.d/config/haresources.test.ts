import t from 'tap'
import { parseHaresources, parseResource, scriptCandidates } from '../../../ha.d/config/haresources.ts'

const nodes = ['nodea', 'nodeb']
const parse = (text: string) => parseHaresources(text, '/etc/ha.d/haresources', nodes)

t.test('groups: node, resources, key, line; comments, continuation, blanks', async (t) => {
  const groups = parse('# services\nNodeA  10.0.0.5/24/eth0 \\\n\tFilesystem::/dev/drbd0::/data::ext4 # the disk\n\nnodeb hbtest::r1 mysql\n')
  t.same(groups, [
    {
      node: 'nodea', key: '10.0.0.5/24/eth0', line: 2,
      resources: [
        { script: 'IPaddr', args: ['10.0.0.5/24/eth0'], text: '10.0.0.5/24/eth0' },
        { script: 'Filesystem', args: ['/dev/drbd0', '/data', 'ext4'], text: 'Filesystem::/dev/drbd0::/data::ext4' },
      ],
    },
    { node: 'nodeb', key: 'hbtest::r1', line: 5, resources: [{ script: 'hbtest', args: ['r1'], text: 'hbtest::r1' }, { script: 'mysql', args: [], text: 'mysql' }] },
  ])
})

t.test('a token shaped like an IPv4 address is IPaddr::token (shell glob semantics)', async (t) => {
  for (const ip of ['10.0.0.5', '135.9.216.3/28/eth0/135.9.216.12', '1x.y.2.3.4']) t.same(parseResource(ip), { script: 'IPaddr', args: [ip], text: ip })
  t.same(parseResource('IPaddr2::10.0.0.5/24'), { script: 'IPaddr2', args: ['10.0.0.5/24'], text: 'IPaddr2::10.0.0.5/24' })
  t.same(parseResource('OCF::IPaddr2::vip'), { script: 'OCF', args: ['IPaddr2', 'vip'], text: 'OCF::IPaddr2::vip' })
  t.same(parseResource('10.0.0'), { script: '10.0.0', args: [], text: '10.0.0' })
})

t.test('refusals name file:line and say what to do', async (t) => {
  t.throws(() => parse('# c\nnodex 10.0.0.5\n'), { message: /^\/etc\/ha\.d\/haresources:2: nodex is not a node of ha\.cf \(nodea, nodeb\)/ })
  t.throws(() => parse('nodea#x 1.2.3.4\n'), { message: /:1: nodea#x is not a node/ }, '# inside a word is no comment')
  t.throws(() => parse('nodea ::x\n'), { message: /:1: ::x: a resource starts with its script name/ })
  t.throws(() => parse('nodea 10.0.0.5 \\\n'), { message: /:1: the last line ends with a backslash/ })
  t.same(parse('nodea\nnodea 1.2.3.4 # nodex\n').map((g) => g.key), ['1.2.3.4'], 'a node without resources is no group')
})

t.test('script candidates: resource.d, then init.d', async (t) => {
  t.same(scriptCandidates('IPaddr'), ['/etc/ha.d/resource.d/IPaddr', '/etc/init.d/IPaddr'])
  t.same(scriptCandidates('x', '/n/etc/ha.d', '/n/init.d'), ['/n/etc/ha.d/resource.d/x', '/n/init.d/x'])
})

t.test('every wrong line is reported, each with its line, as Heartbeat does', async (t) => {
  t.throws(() => parse('nodex hbtest::r1\nnodea hbtest::r2\nnodea ::x\nnodea 10.0.0.5 \\\n'), {
    name: 'ConfigErrors',
    message: /^\/etc\/ha\.d\/haresources:1: nodex is not a node.*\n\/etc\/ha\.d\/haresources:3: ::x: a resource starts.*\n\/etc\/ha\.d\/haresources:4: the last line ends with a backslash[^\n]*$/,
  })
})
