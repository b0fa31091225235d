/**
 * ha.cf's `watchdog /dev/watchdog`: Heartbeat's self-fencing of a hung node, done as Heartbeat 3.0.6 does:
 * the device is opened at start ("Using watchdog device"; when it cannot be, an error naming it, and the
 * engine runs on without it), fed one byte at every keepalive from the engine's main loop, so a node whose
 * engine hangs or dies is reset by the kernel's timer; a clean shutdown writes the magic 'V' before it
 * closes the device, which disarms the timer (a crash does not: the reset is the point).
 * Heartbeat also sets the timer's timeout (WDIOC_SETTIMEOUT); Node has no ioctl, so the device keeps its
 * own (softdog: 60 s, its soft_margin= parameter).
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs'
import type { Logger } from '../lib/log.ts'

/** any byte but 'V' keeps the timer running */
const FEED = Buffer.from([0])
const MAGIC_CLOSE = Buffer.from('V')

export class Watchdog {
  private fd?: number

  private constructor(
    readonly device: string,
    private readonly log: Logger,
  ) {}

  /** Opens the device; when it cannot, says so and returns a watchdog that does nothing, as Heartbeat runs on. */
  static open(device: string, log: Logger): Watchdog {
    const w = new Watchdog(device, log)
    try {
      // non-blocking: a FIFO standing in for the device, with no reader, fails at once instead of hanging the engine
      w.fd = openSync(device, constants.O_WRONLY | constants.O_NONBLOCK)
      log.info(`Using watchdog device: ${device}`)
      w.feed()
    } catch (e) {
      log.err(`Cannot open watchdog device ${device}: ${(e as Error).message}; this node runs without it (no reset if the engine hangs)`)
    }
    return w
  }

  /** One keepalive; a device that refuses it is closed (it resets the node when its timer runs out). */
  feed(): void {
    if (this.fd === undefined) return
    try {
      writeSync(this.fd, FEED)
    } catch (e) {
      this.log.err(`Watchdog write failure: closing ${this.device} (${(e as Error).message})`)
      this.release()
    }
  }

  /** A clean stop: the magic 'V', then close, so the timer does not reset a node that left on purpose. */
  close(): void {
    if (this.fd === undefined) return
    try {
      writeSync(this.fd, MAGIC_CLOSE)
    } catch (e) {
      this.log.err(`Watchdog write magic character failure: closing ${this.device} (${(e as Error).message})`)
    }
    this.release()
  }

  private release(): void {
    try {
      closeSync(this.fd!)
    } catch {
      // closed either way
    }
    this.fd = undefined
  }
}
