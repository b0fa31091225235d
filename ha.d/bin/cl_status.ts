import { runCli } from '../../lib/cli.ts'
import { clStatus, usage } from '../cli/cl_status.ts'

runCli('cl_status', (argv) => clStatus(argv, (line) => process.stdout.write(`${line}\n`)), usage)
