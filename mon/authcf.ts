/**
 * mon's auth.cf: who may run which client command. The command section has lines `command: who,…` where
 * who is `all` (any client, logged in or not), `AUTH_ANY` (any logged-in user), a user name, or `!user` /
 * `!AUTH_ANY` (refused even when logged in). A command not listed is refused to everyone, as in mon.
 * The trap section (`host user password`) says whom mon takes traps from; halo-mon opens no trap port,
 * so it takes no trap from anyone and only checks those lines.
 */
import { configLines, readConfigFile } from '../lib/config/lines.ts'
import { ConfigError, throwConfigErrors } from '../lib/errors.ts'

export interface CommandRule {
  allow: Set<string>
  deny: Set<string>
}

export interface AuthRules {
  /** where the rules were read */
  file: string
  commands: Map<string, CommandRule>
}

/** the commands mon knows; any other name in auth.cf is most likely a typo */
export const monCommands = new Set(
  'dump login disable enable quit list set get setview getview stop start loadstate savestate reset clear checkauth reload term test servertime ack version protid'.split(' '),
)

/**
 * Reads auth.cf; an unreadable file or a command line without `:` is a ConfigError, as mon stops there
 * (mon at the first such line, halo-mon after naming each).
 */
export function readAuthCf(path: string, warn: (text: string) => void): AuthRules {
  return { file: path, commands: parseAuthCf(readConfigFile(path), path, warn) }
}

export function parseAuthCf(text: string, file: string, warn: (text: string) => void): Map<string, CommandRule> {
  const commands = new Map<string, CommandRule>()
  const errors: ConfigError[] = []
  let section: 'command' | 'trap' = 'command'
  for (const { no, text: line } of configLines(text, 'line')) {
    const at = `${file}:${no}`
    if (/^command\s+section/.test(line)) {
      section = 'command'
      continue
    }
    if (/^trap\s+section/.test(line)) {
      section = 'trap'
      continue
    }
    if (section === 'trap') {
      if (!/^\S+\s+\S+\s+\S+$/.test(line)) warn(`${at}: a trap line is 'host user password': mon skips this one`)
      else warn(`${at}: halo-mon receives no traps (it opens no trap port), so this trap entry lets nothing in`)
      continue
    }
    const colon = /^(.*?)\s*:\s*(.*)$/.exec(line)
    if (!colon) {
      errors.push(new ConfigError(file, no, `'${line}' is not 'command: who,…': write e.g. 'disable: AUTH_ANY' or 'list: all'`))
      continue
    }
    const cmd = colon[1].toLowerCase()
    if (!monCommands.has(cmd)) warn(`${at}: '${colon[1]}' is no mon command, this line allows nothing`)
    const rule = commands.get(cmd) ?? { allow: new Set(), deny: new Set() }
    commands.set(cmd, rule)
    for (const who of colon[2].split(/\s*,\s*/).filter(Boolean)) {
      if (who.startsWith('!')) rule.deny.add(who.slice(1))
      else rule.allow.add(who)
    }
  }
  throwConfigErrors(errors)
  return commands
}

/** mon's rule: a `!` refusal first, then `all`, then AUTH_ANY or the user by name for a logged-in client. */
export function mayRun(rules: AuthRules, user: string | undefined, cmd: string): boolean {
  const rule = rules.commands.get(cmd)
  if (!rule) return false
  if (user !== undefined && (rule.deny.has(user) || rule.deny.has('AUTH_ANY'))) return false
  return rule.allow.has('all') || (user !== undefined && (rule.allow.has('AUTH_ANY') || rule.allow.has(user)))
}
