/**
 * The one error type of halo. It carries the exit code the program ends with, so an agent can throw
 * `new HaloError(OCF.ERR_CONFIGURED, 'parameter ip: ...')` from any depth and the runtime exits right.
 * A HaloError is shown to the admin without a stack: its message is the whole story.
 */
export class HaloError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'HaloError'
  }
}

/** A bad command line: shown with the usage text, never with a stack. */
export class UsageError extends HaloError {
  constructor(message: string, exitCode = 2) {
    super(exitCode, message)
    this.name = 'UsageError'
  }
}

/** A bad configuration file: names the file and line so the admin can go straight to it. */
export class ConfigError extends HaloError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly why: string,
    exitCode = 6,
  ) {
    super(exitCode, line > 0 ? `${file}:${line}: ${why}` : `${file}: ${why}`)
    this.name = 'ConfigError'
  }
}

/**
 * Every independent error of a configuration, each with its own file:line, so the admin fixes them in one
 * round. Its file, line and why are the first error's; its message lists them all, one a line.
 */
export class ConfigErrors extends ConfigError {
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors[0].file, errors[0].line, errors[0].why, errors[0].exitCode)
    this.name = 'ConfigErrors'
    this.message = errors.map((e) => e.message).join('\n')
  }
}

/** Throws what a reading found: nothing when there is nothing, the error itself when there is one. */
export function throwConfigErrors(errors: readonly ConfigError[]): void {
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new ConfigErrors(errors)
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
