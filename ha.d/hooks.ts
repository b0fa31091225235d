/**
 * rc.d hooks: for every message type T received, an executable /etc/ha.d/rc.d/T runs with the message's
 * fields as HA_<name> environment, as in Heartbeat. The scripts the heartbeat package itself puts there
 * drive its v1 resource machinery (ResourceManager, mach_down, hb_standby): halo's engine does that work
 * itself, and running them too would start resources twice, so those are skipped and said so once.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describeFailure, run } from '../lib/exec.ts'
import type { Logger } from '../lib/log.ts'
import type { Message } from './wire/message.ts'

const HEARTBEAT_MACHINERY = /ResourceManager|mach_down|hb_standby|req_resource/
const HOOK_TIMEOUT_MS = 60_000

export class Hooks {
  private scripts = new Map<string, string>()

  constructor(
    private readonly dir: string,
    private readonly opts: { log: Logger; env: NodeJS.ProcessEnv },
  ) {
    this.scan()
  }

  /** (Re)reads the rc.d directory: which message types have a hook. */
  scan(): void {
    const scripts = new Map<string, string>()
    let names: string[] = []
    try {
      names = readdirSync(this.dir)
    } catch {
      // no rc.d: no hooks
    }
    for (const name of names) {
      const path = join(this.dir, name)
      try {
        const st = statSync(path)
        if (!st.isFile() || (st.mode & 0o111) === 0) continue
        if (HEARTBEAT_MACHINERY.test(readFileSync(path, 'latin1'))) {
          this.opts.log.info(`${path}: Heartbeat's own resource hook, not run (halo's engine does this itself)`)
          continue
        }
        scripts.set(name, path)
      } catch (e) {
        this.opts.log.warn(`${path}: ${(e as Error).message}`)
      }
    }
    this.scripts = scripts
  }

  /** Runs the hook of this message's type, if any, without waiting for it. */
  received(msg: Message): void {
    const type = msg.get('t')
    const path = type === undefined ? undefined : this.scripts.get(type)
    if (!path) return
    const env: NodeJS.ProcessEnv = { ...this.opts.env }
    for (const f of msg.fields) env[`HA_${f.name}`] = f.type === 0 ? f.value : f.value.toString('base64')
    void run([path, type!], { env, timeout: HOOK_TIMEOUT_MS, processGroup: true }).then(
      (r) => r.code !== 0 && this.opts.log.warn(`${path}: ${describeFailure(r)}`),
      (e: Error) => this.opts.log.warn(`${path}: ${e.message}`),
    )
  }
}
