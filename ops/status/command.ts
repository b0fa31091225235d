/** `halo status`: one screen of the pair's state, for the admin and for monitoring (exit 0 ok, 1 degraded, 2 down). */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from '../../lib/cli.ts'
import { UsageError } from '../../lib/errors.ts'
import { controlSocket } from '../../ha.d/control.ts'
import { collectStatus, exitCode, type StatusOptions } from './collect.ts'
import { renderJson, renderText, renderXml } from './render.ts'

const RENDER = { text: renderText, json: renderJson, xml: renderXml }
/** home, then clear to the end: the screen is redrawn without scrolling */
const REDRAW = '\x1b[H\x1b[J'

export interface StatusArgs {
  outputAs: keyof typeof RENDER
  watch: boolean
  interval: number
  confdir: string
  monPort: number
  timeout: number
}

export async function status(a: StatusArgs, write = (s: string) => void process.stdout.write(s)): Promise<number> {
  if (!(a.interval > 0)) throw new UsageError(`--interval ${a.interval}: give seconds, more than 0`)
  if (!(a.timeout > 0)) throw new UsageError(`--timeout ${a.timeout}: give seconds, more than 0`)
  const opts: StatusOptions = { confDir: a.confdir, controlSocket: controlSocket(), monHost: '127.0.0.1', monPort: a.monPort, monCf: '/etc/mon/mon.cf', timeoutMs: a.timeout * 1000 }
  const render = RENDER[a.outputAs]
  let stop = false
  const interrupted = () => (stop = true)
  if (a.watch) process.once('SIGINT', interrupted)
  try {
    for (;;) {
      const report = await collectStatus(opts)
      const text = render(report)
      // redrawn in place on a terminal; to a pipe, one report after the other
      write(a.watch && a.outputAs === 'text' && process.stdout.isTTY ? `${REDRAW}${text}` : text)
      if (!a.watch || stop) return exitCode(report.health)
      await sleep(a.interval * 1000)
      if (stop) return exitCode(report.health)
    }
  } finally {
    process.off('SIGINT', interrupted)
  }
}

export const statusCommand: Command = (cli, exit) =>
  cli.command(
    'status',
    "the pair at a glance, as crm_mon -1: nodes and links, groups and who holds them, each resource's own status, DRBD, halo-mon's services, fencing; exit 0 all good, 1 degraded, 2 down",
    (y) =>
      y
        .option('output-as', { choices: ['text', 'json', 'xml'] as const, default: 'text' as const, describe: 'json follows ops/status/status.schema.json' })
        .option('watch', { alias: 'w', type: 'boolean', default: false, describe: 'refresh in place until interrupted' })
        .option('interval', { type: 'number', default: 2, describe: 'seconds between refreshes with --watch' })
        .option('confdir', { type: 'string', default: '/etc/ha.d', describe: 'where ha.cf and haresources are' })
        .option('mon-port', { type: 'number', default: 2583, describe: "halo-mon's client port on 127.0.0.1" })
        .option('timeout', { type: 'number', default: 2, describe: 'seconds each query (engine, resource status, drbdadm, halo-mon) may take' }),
    async (a) => exit(await status({ outputAs: a['output-as'], watch: a.watch, interval: a.interval, confdir: a.confdir, monPort: a['mon-port'], timeout: a.timeout })),
  )
