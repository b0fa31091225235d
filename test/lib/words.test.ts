import t from 'tap'
import { HaloError } from '../../lib/errors.ts'
import { splitWords } from '../../lib/words.ts'

t.test('blanks separate, quotes group, backslash escapes, nothing is expanded', async (t) => {
  t.same(splitWords('  -Xmx2g   -jar "/opt/My App/server.jar" ', 'arguments'), ['-Xmx2g', '-jar', '/opt/My App/server.jar'])
  t.same(splitWords(`--a='x y' --b="it's" --c=a\\ b "" $HOME *`, 'arguments'), ['--a=x y', "--b=it's", '--c=a b', '', '$HOME', '*'])
  t.same(splitWords(`"say \\"hi\\"" 'no \\escape'`, 'arguments'), ['say "hi"', 'no \\escape'])
  t.same(splitWords('', 'arguments'), [])
})

t.test('an unclosed quote names the parameter', async (t) => {
  t.throws(() => splitWords(`--x='open`, 'additional_parameters'), new HaloError(6, `parameter additional_parameters: the ' quote opened in "--x='open" is not closed`))
})
