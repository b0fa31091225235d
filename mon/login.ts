/**
 * `login USER PASSWORD`, checked by mon's authtypes in the order mon.cf's authtype lists them (the first
 * that accepts wins):
 * - getpwnam: the password against the account's crypt hash (the shadow entry, halo-mon runs as root);
 * - userfile: against the hash of `user : hash` in mon's userfile, read at each login as mon does;
 * - pam: through the PAM service pamservice (mon's default: passwd);
 * - trustlocal: any user name from 127.0.0.1 (a local front end has checked the password).
 * Node has no crypt(3) and no PAM: the checks run in perl, which every Debian has (perl-base is
 * essential) and whose crypt() is the system's libcrypt, so yescrypt, SHA-512, MD5 and DES hashes all
 * verify; PAM needs perl's Authen::PAM (Debian: libauthen-pam-perl), exactly as mon does. The password
 * goes to perl on its stdin only: never in an argv, an environment or a log line.
 */
import { readFileSync } from 'node:fs'
import { configLines } from '../lib/config/lines.ts'
import { errorMessage } from '../lib/errors.ts'
import { run } from '../lib/exec.ts'
import type { Logger } from '../lib/log.ts'

export interface LoginSettings {
  /** mon.cf's authtype, in order */
  types: string[]
  userfile: string
  pamservice: string
}

const PERL = '/usr/bin/perl'
// perl finds nothing of halo-mon's in here, and needs nothing from it
const perlEnv = { PATH: '/usr/bin:/bin', LC_ALL: 'C' }

/**
 * stdin: password, hash, user. An empty hash means the account's own (getpwnam gives root the shadow
 * entry). A hash of one character or less (`*`, `!`, ``) accepts no password.
 */
const CRYPT_CHECK = `
chomp(my $pass = <STDIN> // ''); chomp(my $hash = <STDIN> // ''); chomp(my $user = <STDIN> // '');
$hash = (getpwnam $user)[1] // '' if $hash eq '';
my $made = length $hash > 1 ? crypt($pass, $hash) : undef;
print defined $made && $made eq $hash ? "accepted\\n" : "refused\\n";
`

/** stdin: service, user, password; the conversation answers every prompt with the password. */
const PAM_CHECK = `
use Authen::PAM qw(:constants);
chomp(my $service = <STDIN> // ''); chomp(my $user = <STDIN> // ''); chomp(my $pass = <STDIN> // '');
my $conv = sub {
  my @reply;
  while (@_) {
    my ($style) = splice(@_, 0, 2);
    my $echo = $style == PAM_PROMPT_ECHO_OFF() || $style == PAM_PROMPT_ECHO_ON();
    push @reply, PAM_SUCCESS(), $echo ? $pass : '';
  }
  return (@reply, PAM_SUCCESS());
};
my $pam = Authen::PAM->new($service, $user, $conv);
print ref($pam) && $pam->pam_authenticate == PAM_SUCCESS() ? "accepted\\n" : "refused\\n";
`

async function perlSays(script: string, input: string, log: Logger): Promise<boolean> {
  const r = await run([PERL, '-e', script], { input, env: perlEnv, timeout: 10_000 })
  if (r.code !== 0) log.err(`the password check (perl) failed: ${r.stderr.trim() || `exit ${r.code ?? r.signal}`}`)
  return r.code === 0 && r.stdout === 'accepted\n'
}

/** Whether perl can use PAM here (mon needs the same module). */
export async function pamAvailable(): Promise<boolean> {
  return (await run([PERL, '-MAuthen::PAM', '-e', '1'], { env: perlEnv, timeout: 10_000 }).catch(() => undefined))?.code === 0
}

/** The hash of `user` in mon's userfile (`user : hash` lines, # comments), undefined when not there. */
function userfileHash(path: string, user: string, log: Logger): string | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    log.err(`cannot read the userfile: ${errorMessage(e)}`)
    return undefined
  }
  let hash: string | undefined
  for (const { text: line } of configLines(text, 'line')) {
    const m = /^(.*?)\s*:\s*(.*)$/.exec(line)
    if (m?.[1] === user) hash = m[2]
  }
  return hash
}

async function accepts(type: string, s: LoginSettings, user: string, password: string, host: string, log: Logger): Promise<boolean> {
  switch (type) {
    case 'getpwnam':
      return perlSays(CRYPT_CHECK, `${password}\n\n${user}\n`, log)
    case 'userfile': {
      const hash = userfileHash(s.userfile, user, log)
      if (hash === undefined) {
        log.warn(`login: no user '${user}' in ${s.userfile}`)
        return false
      }
      // a user listed with an empty hash must not fall back to the account's own password
      return hash !== '' && perlSays(CRYPT_CHECK, `${password}\n${hash}\n${user}\n`, log)
    }
    case 'pam':
      return perlSays(PAM_CHECK, `${s.pamservice}\n${user}\n${password}\n`, log)
    case 'trustlocal':
      return host === '127.0.0.1'
    default:
      // shadow: mon names it and accepts no one with it
      return false
  }
}

/** True when one of the authtypes accepts; an empty user or password is refused (but for trustlocal). */
export async function checkLogin(s: LoginSettings, user: string, password: string, host: string, log: Logger): Promise<boolean> {
  if (user === '') return false
  for (const type of s.types) {
    if (password === '' && type !== 'trustlocal') continue
    try {
      if (await accepts(type, s, user, password, host, log)) return true
    } catch (e) {
      log.err(`login: authtype ${type}: ${errorMessage(e)}`)
    }
  }
  return false
}
