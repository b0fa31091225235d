/**
 * The engine's half of `halo check --peer`: the peer's cluster files, asked over the heartbeat link.
 *   requester → peer   t=halo_files dest=PEER req_id=N salt=HEX
 *   peer → requester   t=halo_files_rc dest=REQUESTER req_id=N files=BASE64(JSON SharedFile[])
 * The exchange delivers only authentic messages of the peer (authkeys), so only the peer's engine can ask.
 * A real Heartbeat has no handler for the type: heartbeat.c's HBDoMsgCallback finds none, so the message
 * goes only to heartbeat_monitor, which hands it to the API clients that asked for every message; nothing
 * answers, and the requester says so when its bound runs out. An older halo engine ignores it the same way.
 * The answer fits one datagram: texts are dropped (the digest stays) from the largest until it does.
 */
import { randomBytes } from 'node:crypto'
import { errorMessage } from '../lib/errors.ts'
import type { Logger } from '../lib/log.ts'
import { type ClusterFilesSpec, readClusterFiles, type SharedFile } from './cluster-files.ts'
import type { Answer } from './control.ts'
import type { Heard } from './exchange.ts'
import { Message } from './wire/message.ts'

/** the answer's JSON at most: base64 of it and the envelope stay within a UDP datagram */
const ANSWER_CAP = 36 * 1024
const MAX_WAIT_MS = 60_000

export interface PeerFiles {
  node: string
  salt: string
  files: SharedFile[]
}

export interface FileExchangeOptions {
  peer: string
  log: Logger
  send(msg: Message): void
  peerAlive(): boolean
  files: ClusterFilesSpec
}

/** Drops texts, largest first, until the JSON fits. */
function fitted(files: SharedFile[]): string {
  const out = files.map((f) => ({ ...f }))
  let json = JSON.stringify(out)
  for (const f of [...out].sort((a, b) => (b.text?.length ?? 0) - (a.text?.length ?? 0))) {
    if (json.length <= ANSWER_CAP || f.text === undefined) break
    delete f.text
    f.why = 'too large to send with the rest: compared by digest'
    json = JSON.stringify(out)
  }
  return json
}

const isSharedFile = (f: unknown): f is SharedFile => {
  const x = f as SharedFile
  return typeof x === 'object' && x !== null && typeof x.name === 'string' && typeof x.path === 'string' && ['present', 'missing', 'unreadable'].includes(x.state) && (x.text === undefined || typeof x.text === 'string') && (x.digest === undefined || typeof x.digest === 'string')
}

export class FileExchange {
  private lastId = 0
  private readonly waiting = new Map<string, { salt: string; done(files: SharedFile[] | string): void }>()

  constructor(private readonly opts: FileExchangeOptions) {}

  /** The control socket's `peer-files`. */
  async request(r: { timeoutMs: number }): Promise<Answer> {
    const { peer } = this.opts
    if (!Number.isFinite(r.timeoutMs) || r.timeoutMs <= 0 || r.timeoutMs > MAX_WAIT_MS) return { ok: false, error: `timeoutMs ${r.timeoutMs}: use 1 to ${MAX_WAIT_MS}` }
    if (!peer) return { ok: false, error: 'ha.cf names no peer node: there is nobody to compare with' }
    if (!this.opts.peerAlive()) return { ok: false, error: `${peer} is not up (its engine is stopped, or the node is down): there is nothing to compare with` }
    const id = String(++this.lastId)
    const salt = randomBytes(16).toString('hex')
    const got = await new Promise<SharedFile[] | string>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        resolve(`${peer} did not answer within ${r.timeoutMs / 1000} s: its engine is not halo's (Heartbeat ignores the request) or older than this one`)
      }, r.timeoutMs)
      this.waiting.set(id, { salt, done: (x) => (clearTimeout(timer), this.waiting.delete(id), resolve(x)) })
      this.opts.send(new Message().add('t', 'halo_files').add('dest', peer).add('req_id', id).add('salt', salt))
    })
    if (typeof got === 'string') return { ok: false, error: got }
    return { ok: true, peerFiles: { node: peer, salt, files: got } }
  }

  /** A message of the peer's of type halo_files or halo_files_rc. */
  heard(h: Heard): void {
    try {
      this.answer(h)
    } catch (e) {
      // a field of the wrong form is the sender's mistake, not the engine's end
      this.opts.log.warn(`${h.type} from ${h.src} ignored: ${errorMessage(e)}`)
    }
  }

  private answer({ msg, src, type }: Heard): void {
    const id = msg.get('req_id')
    if (!id) return this.opts.log.warn(`${type} from ${src} without req_id: ignored`)
    if (type === 'halo_files') {
      const salt = msg.get('salt') ?? ''
      if (!/^[0-9a-f]{32}$/.test(salt)) return this.opts.log.warn(`halo_files from ${src}: salt ${JSON.stringify(salt)} is not 32 hex digits: ignored`)
      const json = fitted(readClusterFiles(this.opts.files, salt))
      this.opts.log.info(`${src} asked for the cluster files (halo check --peer): sent`)
      return this.opts.send(new Message().add('t', 'halo_files_rc').add('dest', src).add('req_id', id).add('files', Buffer.from(json).toString('base64')))
    }
    const w = this.waiting.get(id)
    if (!w) return
    try {
      const files: unknown = JSON.parse(Buffer.from(msg.get('files') ?? '', 'base64').toString('utf8'))
      if (!Array.isArray(files) || !files.every(isSharedFile)) throw new Error('not a list of files')
      w.done(files)
    } catch (e) {
      w.done(`${src} answered something unreadable: ${errorMessage(e)}`)
    }
  }
}
