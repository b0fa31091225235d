import { runCli } from '../../lib/cli.ts'
import { NAME, recoverAlert, usage } from '../cli/recover-alert.ts'

runCli(NAME, (argv) => recoverAlert(argv), usage)
