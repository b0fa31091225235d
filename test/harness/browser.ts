/**
 * A headless Debian chromium inside a virtual node, driven over --remote-debugging-pipe (the DevTools
 * protocol on fds 3 and 4, NUL-terminated JSON): one page, its console and errors collected (console
 * calls, uncaught exceptions, and log entries such as CSP violations), expressions evaluated in it.
 */
import type { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { childProcess } from '../../lib/exec.ts'
import type { Scope } from '../../demo/scope.ts'
import type { HaloNode } from '../../demo/hbtest/cluster.ts'

const ANSWER_MS = 10_000
const CLOSE_MS = 10_000

export interface Page {
  /** every console call, uncaught exception and log entry, as text */
  readonly console: string[]
  /** the value of a JavaScript expression in the page */
  evaluate<T>(expression: string): Promise<T>
}

export async function openPage(scope: Scope, node: HaloNode, url: string): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), 'halo-chromium-'))
  const argv = node.vm.enter(['chromium', '--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'])
  const child = childProcess().spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] })
  const toBrowser = child.stdio[3] as Writable
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>()
  const consoleLines: string[] = []
  let nextId = 1
  let buf = ''
  child.stdio[4]!.on('data', (d: Buffer) => {
    buf += d.toString()
    let end: number
    while ((end = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, any> }
      buf = buf.slice(end + 1)
      if (msg.id !== undefined) {
        const p = pending.get(msg.id)
        pending.delete(msg.id)
        if (msg.error) p?.reject(new Error(`chromium: ${msg.error.message}`))
        else p?.resolve(msg.result ?? {})
      } else if (msg.method === 'Runtime.consoleAPICalled') {
        consoleLines.push(`console.${msg.params!.type}: ${msg.params!.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ')}`)
      } else if (msg.method === 'Runtime.exceptionThrown') {
        consoleLines.push(`uncaught: ${msg.params!.exceptionDetails.exception?.description ?? msg.params!.exceptionDetails.text}`)
      } else if (msg.method === 'Log.entryAdded') {
        consoleLines.push(`${msg.params!.entry.level}: ${msg.params!.entry.text}`)
      }
    }
  })
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const id = nextId++
      const timer = setTimeout(() => reject(new Error(`chromium did not answer ${method} within ${ANSWER_MS} ms`)), ANSWER_MS)
      pending.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) })
      toBrowser.write(`${JSON.stringify({ id, method, params, sessionId })}\0`)
    })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // nsenter forks chromium into the node: killing nsenter would leave it there, so chromium is asked to close
  scope.teardown(async () => {
    await Promise.race([send('Browser.close').catch(() => undefined).then(() => exited), sleep(CLOSE_MS, undefined, { ref: false })])
    child.kill('SIGKILL')
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 })
  })
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' })
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true })
  await send('Runtime.enable', {}, sessionId)
  await send('Log.enable', {}, sessionId)
  await send('Page.enable', {}, sessionId)
  await send('Page.navigate', { url }, sessionId)
  return {
    console: consoleLines,
    async evaluate<T>(expression: string): Promise<T> {
      const r = await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)
      if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`)
      return r.result.value as T
    },
  }
}
