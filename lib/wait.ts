/** Waiting on state outside the caller (a process gone, a port open, a file written): polled, and always bounded. */
import { setTimeout as sleep } from 'node:timers/promises'

/** Resolves once `ok()` holds; rejects naming `what` after `ms`. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(5)
  }
}
