// halo check --peer in a two-node virtual cluster: both nodes' files compared through the running engines.
// The same files: no difference; a haresources line changed on the peer: an error naming both lines; an
// authkeys changed: said by digest, its words nowhere; the peer's engine stopped, or this node's: a clear
// message and exit 69.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bin, cluster } from '../../harness/cluster.ts'
import { atHome } from '../../harness/scenario.ts'

t.test('same files, a changed haresources line, a changed authkeys, the peer down', async (t) => {
  const [a, b] = await cluster(t)
  await Promise.all([a.boot(), b.boot()])
  await atHome(a, b)
  const check = async () => {
    const r = await a.vm.exec([bin('halo'), 'check', '--peer'], { timeout: 30_000 })
    t.equal(r.stderr, '', 'nothing on stderr')
    return { code: r.code, out: r.stdout }
  }
  const same = await check()
  t.notMatch(same.out, /differs|nodeb|compared/, 'no difference')
  t.equal(same.code, 0, 'warnings of its own only: exit 0')

  // on nodeb only: a haresources line, a password in ha.cf, another authkeys (none re-read by its engine)
  const etcB = join(b.dir, 'etc/ha.d')
  writeFileSync(join(etcB, 'haresources'), 'nodea hbtest::r1 hbtest::r2\nnodeb hbtest::r3 hbtest::r4\n')
  const hacf = readFileSync(join(etcB, 'ha.cf'), 'utf8')
  writeFileSync(join(etcB, 'ha.cf'), `${hacf}stonith_host nodea external/ipmi nodeb 10.0.0.2 admin pw-of-nodeb-bmc lan\n`)
  writeFileSync(join(etcB, 'authkeys'), 'auth 1\n1 sha1 another-key-of-nodeb\n', { mode: 0o600 })
  const differ = await check()
  t.equal(differ.code, 78, 'haresources and authkeys must be the same: errors, exit 78')
  t.match(differ.out, 'error: /etc/ha.d/haresources:2: differs from nodeb:/etc/ha.d/haresources:2 (- here, + nodeb):\n  - nodeb hbtest::r3\n  + nodeb hbtest::r3 hbtest::r4\n', 'the haresources line, both sides')
  t.match(differ.out, "error: /etc/ha.d/authkeys: differs from nodeb's /etc/ha.d/authkeys (the secret: compared by digest)\n")
  const lines = hacf.split('\n').length
  t.match(differ.out, new RegExp(`warning: /etc/ha\\.d/ha\\.cf:${lines}: differs from nodeb:/etc/ha\\.d/ha\\.cf:${lines} \\(- here, \\+ nodeb\\):\\n  \\+ stonith_host … \\(holds a password: digest [0-9a-f]{12}\\)\\n`), "ha.cf may differ: a warning, the password's line by digest")
  t.notMatch(differ.out, /another-key|pw-of-nodeb|halo-cluster-test/, 'no secret shown')
  t.notMatch(a.haLog() + b.haLog(), /another-key|pw-of-nodeb/, 'nor logged')
  t.match(b.haLog(), /nodea asked for the cluster files \(halo check --peer\): sent/)

  await b.stop()
  const down = await check()
  t.equal(down.code, 69, 'the peer not asked, nothing wrong here: exit 69')
  t.match(down.out, /\nThe peer's files were not compared: nodeb is not up \(its engine is stopped, or the node is down\): there is nothing to compare with\n$/)

  await a.stop()
  const alone = await check()
  t.equal(alone.code, 69)
  t.match(alone.out, /The peer's files were not compared: the heartbeat engine is not running here \(nothing listens on \S+\): --peer compares through the running engines\n$/)
})
