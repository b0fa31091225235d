// Accounts as getent gives them: the local files read directly where nsswitch.conf asks them first,
// so every account of /etc/passwd must resolve exactly as getent resolves it.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { account } from '../../lib/users.ts'
import { runOk } from '../../lib/exec.ts'

t.test('every local account resolves as getent says', async (t) => {
  const names = readFileSync('/etc/passwd', 'utf8').split('\n').filter(Boolean).map((l) => l.split(':')[0])
  t.ok(names.includes('root'))
  for (const name of names) {
    const [, , uid, gid, , home] = (await runOk(['getent', 'passwd', name])).trim().split(':')
    t.same(await account(name), { name, uid: Number(uid), gid: Number(gid), home: home || '/' }, name)
  }
  const [, , gid] = (await runOk(['getent', 'group', 'daemon'])).trim().split(':')
  t.equal((await account('root', 'daemon')).gid, Number(gid), 'a group by name')
})

t.test('a number is taken as it is; a name nobody has is refused naming the parameter', async (t) => {
  t.same(await account('4242'), { name: '4242', uid: 4242, gid: 4242, home: '/' })
  await t.rejects(account('no-such-user-here'), { message: 'parameter user: no user "no-such-user-here" on this host' })
  await t.rejects(account('root', 'no-such-group-here'), { message: 'parameter group: no group "no-such-group-here" on this host' })
})
