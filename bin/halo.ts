/**
 * halo: the suite's own command. Its sub-commands share one parser (yargs: help and completion for each);
 * Heartbeat's and mon's commands keep their own grammar in their own programs.
 * demo-appserver and demo-client are the demo's own application server and client, run inside its nodes:
 * not the admin's commands, so not in the help.
 */
import { realpathSync } from 'node:fs'
import { dirname } from 'node:path'
import yargs from 'yargs'
import { UsageError } from '../lib/errors.ts'
import { type Command, runCli } from '../lib/cli.ts'
import { appserver } from '../demo/appserver.ts'
import { clientCommand } from '../demo/client.ts'
import { demo } from '../demo/run.ts'
import { checkCommand } from '../ops/check/command.ts'
import { convertCommand } from '../ops/convert/command.ts'
import { historyCommand } from '../ops/history.ts'
import { statusCommand } from '../ops/status/command.ts'

// /usr/bin/halo is a link: the programs and the example are beside the real file, in /usr/lib/halo
const bin = () => dirname(realpathSync(process.argv[1]))

const demoCommand: Command = (cli, exit) =>
  cli.command(
    'demo',
    'run the example cluster of examples/mysql-appserver-cluster on two virtual nodes of this machine (network, mount, UTS and PID namespaces; a loop device for the DRBD disk): a power cut of the primary, a service failure handled by halo-mon, failback (root)',
    (y) => y.option('keep', { type: 'boolean', default: false, describe: 'leave the cluster running at the end and say how to enter each node' }),
    async (a) => exit(await demo(bin(), a.keep)),
  )

const commands: Command[] = [demoCommand, statusCommand, checkCommand, historyCommand, convertCommand]

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'demo-appserver') return appserver(argv.slice(1))
  if (argv[0] === 'demo-client') return clientCommand(argv.slice(1))
  let code = 0
  const exit = (c: number) => (code = c)
  const cli = commands
    .reduce((y, add) => add(y, exit), yargs(argv).scriptName('halo'))
    .demandCommand(1, 'give a command')
    .strict()
    .completion('completion', 'print the bash completion script (source it from ~/.bashrc or /etc/bash_completion.d)')
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new UsageError(message)
    })
  await cli.parseAsync()
  return code
}

runCli('halo', main, 'halo --help lists the commands; halo COMMAND --help says what each takes')
