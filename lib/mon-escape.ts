/** mon's escaping of values in its protocol replies and state files. */

/** mon's esc_str: blanks, controls, quotes and non-ASCII as \xx; in quoted values a backslash doubled. */
export function escape(text: string | undefined, inQuotes = false): string {
  if (text === undefined) return ''
  let out = ''
  for (const c of text) {
    const code = c.codePointAt(0)!
    if (code <= 32 || code > 126 || c === '"' || c === "'") out += `\\${code.toString(16).padStart(2, '0')}`
    else if (inQuotes && c === '\\') out += '\\\\'
    else out += c
  }
  return out
}

export const unescape = (text: string): string => text.replace(/\\([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
