/**
 * DRBD's fence-peer handler, the engine's half (the job of Heartbeat's dopd). drbd-peer-outdater asks the
 * engine over the control socket; the engine asks the peer over the heartbeat link to outdate the
 * resource there, and answers with the exit code DRBD expects of a fence-peer handler.
 *
 * The messages are dopd's own, so a halo node and a Heartbeat node running dopd outdate each other:
 *   requester → peer   t=start_outdate dest=PEER dop_res=RES req_id=N
 *   peer → requester   t=outdate_rc dest=REQUESTER dop_res=RES dop_value=CODE req_id=N
 * halo adds req_id; dopd's answers lack it and are matched by resource.
 * The peer runs `drbdadm outdate RES` and reads its exit code as dopd does: 0 → 4 (outdated, or already
 * was), 5 → 3 (Inconsistent: nothing to protect), 17 → 6 (Primary: refused), anything else → 20.
 * The requester answers the peer's code; 5 when the peer is dead (7 once its fence is confirmed), at
 * once or the moment it dies while we wait; 20 when a living peer does not answer in time, which DRBD
 * takes as a failed handler: the peer's disk is not assumed Outdated, a promotion is refused.
 */
import { isDrbdResourceName } from '../lib/drbd.ts'
import { errorMessage } from '../lib/errors.ts'
import { describeFailure, run } from '../lib/exec.ts'
import type { Logger } from '../lib/log.ts'
import type { Answer } from './control.ts'
import type { Heard } from './exchange.ts'
import { Message } from './wire/message.ts'

/** The fence-peer handler's exit codes (drbd.conf(5), handlers fence-peer). */
export const PEER = { inconsistent: 3, outdated: 4, unreachable: 5, primary: 6, fenced: 7, unknown: 20 } as const

const meaning: Record<number, string> = {
  3: 'the peer\'s disk is Inconsistent',
  4: 'the peer is outdated',
  5: 'the peer is unreachable',
  6: 'the peer is Primary and refused',
  7: 'the peer was fenced',
  20: 'no answer',
}

/** `drbdadm outdate` is quick; one that hangs must not leave the requester without an answer for long. */
const OUTDATE_TIMEOUT_MS = 30_000
const MAX_WAIT_MS = 600_000

export interface OutdaterOptions {
  peer: string
  log: Logger
  send(msg: Message): void
  peerAlive(): boolean
  /** the dead peer's fence has been confirmed (ha.d/fencing.ts) */
  peerFenced(): boolean
  /** settles when the fence of a dead peer under way (if any) has ended: 7 is answered only after it */
  fenceSettled(): Promise<unknown>
  /** the resource scripts' environment: HA_DRBDADM and HA_DRBDCONF name drbdadm and drbd.conf, as for drbddisk */
  env: NodeJS.ProcessEnv
}

export interface OutdateRequest {
  resource: string
  /** how long to wait for the peer's answer */
  timeoutMs: number
  /** DRBD's name for the peer (DRBD_PEER…), when the handler knows it */
  peer?: string
}

interface Waiting {
  resource: string
  timer: NodeJS.Timeout
  done(code: number): void
}

export class Outdater {
  private lastId = 0
  private readonly waiting = new Map<string, Waiting>()

  constructor(private readonly opts: OutdaterOptions) {}

  /** The control socket's `outdate`: the answer's code is the handler's exit code. */
  async request(r: OutdateRequest): Promise<Answer> {
    const { peer } = this.opts
    if (typeof r.resource !== 'string' || !isDrbdResourceName(r.resource)) return { ok: false, error: `"${r.resource}" is not a DRBD resource name` }
    if (!Number.isFinite(r.timeoutMs) || r.timeoutMs <= 0 || r.timeoutMs > MAX_WAIT_MS) return { ok: false, error: `timeoutMs ${r.timeoutMs}: use 1 to ${MAX_WAIT_MS}` }
    if (!peer) return { ok: false, error: 'ha.cf names no peer node: there is nobody to outdate' }
    // ha.cf's node names are uname -n lowercased, drbd.conf's `on` names are uname -n
    if (r.peer !== undefined && r.peer.toLowerCase() !== peer.toLowerCase()) {
      return { ok: false, error: `DRBD's peer for ${r.resource} is ${r.peer}, but this cluster's peer is ${peer}: drbd.conf's "on" sections must name the ha.cf nodes` }
    }
    const code = await this.ask(r.resource, r.timeoutMs)
    return { ok: true, code, message: meaning[code] ?? `code ${code}` }
  }

  /** t=start_outdate (the peer asks us) or t=outdate_rc (the peer answers us). */
  heard({ msg, src, type }: Heard): void {
    // the answer goes out later, outside the packet's own error handling: a failure there is logged, never fatal
    if (type === 'start_outdate') this.outdateHere(src, msg.get('dop_res'), msg.get('req_id')).catch((e) => this.opts.log.err(`DRBD fence-peer: cannot answer ${src}: ${errorMessage(e)}`))
    else this.answered(src, msg)
  }

  /** The peer was declared dead: whoever waits for it gets 5, or 7 once it is fenced. */
  peerLost(): void {
    void this.opts.fenceSettled().then(() => {
      for (const [id, w] of this.waiting) this.finish(id, this.unreachable(w.resource))
    })
  }

  private ask(resource: string, timeoutMs: number): Promise<number> {
    const { peer, log } = this.opts
    if (!this.opts.peerAlive()) return this.opts.fenceSettled().then(() => this.unreachable(resource))
    const id = String(++this.lastId)
    log.info(`DRBD fence-peer: asking ${peer} to outdate ${resource}`)
    return new Promise((done) => {
      const timer = setTimeout(() => {
        log.warn(`DRBD fence-peer: ${peer} is alive but did not answer for ${resource} within ${timeoutMs} ms: answering ${PEER.unknown} (DRBD keeps its peer's disk as unknown)`)
        this.finish(id, PEER.unknown)
      }, timeoutMs)
      this.waiting.set(id, { resource, timer, done })
      this.opts.send(new Message().add('t', 'start_outdate').add('dest', peer).add('dop_res', resource).add('req_id', id))
    })
  }

  private unreachable(resource: string): number {
    const fenced = this.opts.peerFenced()
    const code = fenced ? PEER.fenced : PEER.unreachable
    this.opts.log.info(`DRBD fence-peer: ${this.opts.peer} is ${fenced ? 'dead and fenced' : 'dead'}: ${resource} cannot be outdated there; answering ${code} (${meaning[code]})`)
    return code
  }

  private finish(id: string, code: number): void {
    const w = this.waiting.get(id)
    if (!w) return
    clearTimeout(w.timer)
    this.waiting.delete(id)
    w.done(code)
  }

  private answered(src: string, msg: Message): void {
    const id = msg.get('req_id')
    const resource = msg.get('dop_res')
    const value = msg.get('dop_value') ?? ''
    // dopd answers without our id: the oldest request for that resource is the one it answers
    const match = id !== undefined ? (this.waiting.has(id) ? id : undefined) : [...this.waiting].find(([, w]) => w.resource === resource)?.[0]
    if (match === undefined) return this.opts.log.debug(`outdate_rc from ${src} for ${resource} (req_id ${id}) answers no waiting request`)
    const code = /^\d{1,3}$/.test(value) ? Number(value) : PEER.unknown
    if (String(code) !== value) this.opts.log.warn(`outdate_rc from ${src}: dop_value "${value.slice(0, 40)}" is not an exit code; answering ${code}`)
    this.opts.log.info(`DRBD fence-peer: ${src} answers for ${this.waiting.get(match)!.resource}: ${code} (${meaning[code] ?? 'unknown code'})`)
    this.finish(match, code)
  }

  /** The peer asks: outdate our disk of `resource`, and say how it went. */
  private async outdateHere(from: string, resource: string | undefined, id: string | undefined): Promise<void> {
    let code: number
    if (resource === undefined || !isDrbdResourceName(resource)) {
      this.opts.log.warn(`${from} asked to outdate "${resource ?? ''}", which is not a DRBD resource name: refused (${PEER.unknown})`)
      code = PEER.unknown
    } else {
      code = await this.outdate(from, resource)
    }
    // Heartbeat drops a message with an empty field: ' ' says "none", an empty req_id is left out
    const answer = new Message().add('t', 'outdate_rc').add('dest', from).add('dop_res', resource || ' ').add('dop_value', String(code))
    this.opts.send(id ? answer.add('req_id', id) : answer)
  }

  private async outdate(from: string, resource: string): Promise<number> {
    const { env, log } = this.opts
    const argv = [env.HA_DRBDADM || 'drbdadm', ...(env.HA_DRBDCONF ? ['-c', env.HA_DRBDCONF] : []), 'outdate', resource]
    try {
      const r = await run(argv, { env, timeout: OUTDATE_TIMEOUT_MS })
      const code = r.code === 0 ? PEER.outdated : r.code === 5 ? PEER.inconsistent : r.code === 17 ? PEER.primary : PEER.unknown
      const how = r.code === 0 ? 'done' : describeFailure(r)
      log[code === PEER.unknown ? 'err' : 'info'](`DRBD fence-peer: ${from} asks to outdate ${resource}: ${argv.join(' ')}: ${how}; answering ${code} (${meaning[code]})`)
      return code
    } catch (e) {
      log.err(`DRBD fence-peer: ${from} asks to outdate ${resource}: ${errorMessage(e)}; answering ${PEER.unknown}`)
      return PEER.unknown
    }
  }
}
