/**
 * halo: the suite's own command.
 *   halo demo [--keep]   the example cluster (MariaDB + application server) on two virtual nodes of this
 *                        machine: power cut, service failure, failback, told as they happen
 * demo-appserver and demo-client are the demo's own application server and client, run inside its nodes.
 */
import { realpathSync } from 'node:fs'
import { dirname } from 'node:path'
import { UsageError } from '../lib/errors.ts'
import { runCli } from '../lib/cli.ts'
import { appserver } from '../demo/appserver.ts'
import { clientCommand } from '../demo/client.ts'
import { demo } from '../demo/run.ts'

const usage = `usage: halo demo [--keep]
  demo          run the example cluster of examples/mysql-appserver-cluster on two virtual nodes of this
                machine (network, mount, UTS and PID namespaces; a loop device for the DRBD disk):
                a power cut of the primary, a service failure handled by halo-mon, failback (root)
  --keep        leave the cluster running at the end and say how to enter each node`

function help(): number {
  console.log(usage)
  return 0
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  // /usr/bin/halo is a link: the programs and the example are beside the real file, in /usr/lib/halo
  const bin = dirname(realpathSync(process.argv[1]))
  switch (command) {
    case 'demo': {
      if (rest.some((a) => a === '--help' || a === '-h')) return help()
      const unknown = rest.find((a) => a !== '--keep')
      if (unknown) throw new UsageError(`demo: unknown option ${unknown}`)
      return demo(bin, rest.includes('--keep'))
    }
    case 'demo-appserver':
      return appserver(rest)
    case 'demo-client':
      return clientCommand(rest)
    case '--help':
    case '-h':
      return help()
    case undefined:
      throw new UsageError('give a command')
    default:
      throw new UsageError(`unknown command ${command}`)
  }
}

runCli('halo', main, usage)
