import { runCli } from '../../lib/cli.ts'
import { askResources, usage } from '../cli/ask-resources.ts'

runCli('hb_takeover', (argv) => askResources('takeover', argv), usage('hb_takeover'))
