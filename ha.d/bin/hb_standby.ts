import { runCli } from '../../lib/cli.ts'
import { askResources, usage } from '../cli/ask-resources.ts'

runCli('hb_standby', (argv) => askResources('standby', argv), usage('hb_standby'))
