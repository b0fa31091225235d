/**
 * A command line written in a parameter (`-Xmx2g -jar "/opt/My App/server.jar"`), split into argv the way
 * the admin reads it: blanks separate words, '…' and "…" group, a backslash escapes the next character.
 * Nothing is expanded ($VAR, *, ~, `…` stay as written): the words go to the program, never to a shell.
 */
import { HaloError } from './errors.ts'
import { OCF } from './ocf/codes.ts'

/** Throws HaloError(6) naming `param` when a quote is not closed. */
export function splitWords(text: string, param: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: '"' | "'" | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i]
      else word += c
    } else if (c === "'" || c === '"') {
      quote = c
      word ??= ''
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i]
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else {
      word = (word ?? '') + c
    }
  }
  if (quote) throw new HaloError(OCF.ERR_CONFIGURED, `parameter ${param}: the ${quote} quote opened in "${text}" is not closed`)
  if (word !== undefined) words.push(word)
  return words
}
