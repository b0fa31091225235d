/**
 * What `halo check` found: errors (the engine or halo-mon refuses to start, or the next failover fails)
 * and warnings (it starts, but something will go wrong or is unsafe), each as `file:line: text` the way
 * the parsers word them, printed in the order found.
 */
import { ConfigError, ConfigErrors } from '../../lib/errors.ts'

export interface Finding {
  level: 'error' | 'warning'
  text: string
}

export class Findings {
  readonly list: Finding[] = []

  error(file: string, line: number, text: string): void {
    this.list.push({ level: 'error', text: new ConfigError(file, line, text).message })
  }

  warn(file: string, line: number, text: string): void {
    this.list.push({ level: 'warning', text: new ConfigError(file, line, text).message })
  }

  /** a warning already worded `file:line: text` by a parser */
  warning(text: string): void {
    this.list.push({ level: 'warning', text })
  }

  /** Runs a parser: its ConfigErrors become errors (anything else is a fault and goes on); undefined then. */
  read<T>(fn: () => T): T | undefined {
    try {
      return fn()
    } catch (e) {
      this.configErrors(e)
      return undefined
    }
  }

  async readAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn()
    } catch (e) {
      this.configErrors(e)
      return undefined
    }
  }

  private configErrors(e: unknown): void {
    if (!(e instanceof ConfigError)) throw e
    for (const one of e instanceof ConfigErrors ? e.errors : [e]) this.list.push({ level: 'error', text: one.message })
  }

  get errors(): number {
    return this.list.filter((f) => f.level === 'error').length
  }

  get warnings(): number {
    return this.list.filter((f) => f.level === 'warning').length
  }
}

/** crm_verify's exit codes: 78 (CRM_EX_CONFIG) when there is an error; warnings alone leave 0. */
const EXIT_CONFIG = 78

/** The report as crm_verify words its end, and the exit code. */
export function report(f: Findings, out: (line: string) => void): number {
  for (const { level, text } of f.list) out(`${level}: ${text}`)
  if (f.errors > 0) {
    out(`Errors found during check: config not valid (${f.errors} error${f.errors > 1 ? 's' : ''}, ${f.warnings} warning${f.warnings === 1 ? '' : 's'})`)
    return EXIT_CONFIG
  }
  if (f.warnings > 0) out(`Warnings found during check: config may not be valid (${f.warnings} warning${f.warnings > 1 ? 's' : ''})`)
  return 0
}
