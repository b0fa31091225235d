/**
 * The entry of every interactive command: runs main, and turns a HaloError into its message and exit
 * code (a UsageError adds the usage), never a stack trace; anything else is a bug and keeps its stack.
 */
import type { Argv } from 'yargs'
import { HaloError, UsageError } from './errors.ts'

/** One of `halo`'s sub-commands: it adds its yargs definition, whose handler sets the exit code. */
export type Command = (cli: Argv, exit: (code: number) => void) => Argv

export function runCli(name: string, main: (argv: string[]) => Promise<number>, usage = ''): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof HaloError) {
        process.stderr.write(`${name}: ${err.message}\n`)
        if (err instanceof UsageError && usage) process.stderr.write(`${usage}\n`)
        process.exit(err.exitCode)
      }
      process.stderr.write(`${name}: internal error: ${err instanceof Error ? err.stack : String(err)}\n`)
      process.exit(70)
    },
  )
}
