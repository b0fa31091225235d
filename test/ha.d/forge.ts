/** Packets a test forges as a peer would send them, and their injection into a node's heartbeat link. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from '../../lib/exec.ts'
import { encode } from '../../ha.d/wire/codec.ts'
import { compose } from '../../ha.d/wire/compose.ts'
import { Message } from '../../ha.d/wire/message.ts'
import type { HaloNode } from '../harness/cluster.ts'
import { inNetns } from '../harness/netns.ts'

/** Sends one datagram to udp/694 of `to`, from inside a namespace (the program text is fixed; data is argv). */
const SEND = `const s = require('node:dgram').createSocket('udp4')
s.send(Buffer.from(process.argv[1], 'hex'), 694, process.argv[2], (e) => { s.close(); process.exitCode = e ? 1 : 0 })`

export async function inject(from: HaloNode, to: HaloNode, packet: Buffer): Promise<void> {
  const r = await run(inNetns(from.netns, [process.execPath, '-e', SEND, packet.toString('hex'), to.address]), { timeout: 10_000 })
  if (r.code !== 0) throw new Error(`cannot send the forged packet: ${r.stderr}`)
}

/**
 * Sends datagrams, in order, from inside a namespace to udp/694 of `to`: a replay of what a capture holds.
 * With `source` the socket is bound to that address of the namespace (one it has, maybe another node's).
 */
const REPLAY = `const [to, source, ...hex] = process.argv.slice(1)
const s = require('node:dgram').createSocket('udp4')
const next = (i) => i === hex.length ? s.close() : s.send(Buffer.from(hex[i], 'hex'), 694, to, (e) => e ? (process.exitCode = 1, s.close()) : next(i + 1))
s.bind({ address: source || undefined }, () => next(0))`

export async function replay(ns: string, to: string, packets: readonly Buffer[], source = ''): Promise<void> {
  const r = await run(inNetns(ns, [process.execPath, '-e', REPLAY, to, source, ...packets.map((p) => p.toString('hex'))]), { timeout: 20_000 })
  if (r.code !== 0) throw new Error(`cannot replay the packets from ${ns}: ${r.stderr}`)
}

export const lib = (n: HaloNode, file: string) => readFileSync(join(n.vm.dir, 'var/lib/heartbeat', file))

/** A hb_takeover for every group, as `src` would send it, signed with `key`. */
export function takeover(n: HaloNode, opts: { src?: string; generation?: number; key?: string } = {}): Buffer {
  const sender = { node: opts.src ?? n.name, uuid: lib(n, 'hb_uuid'), generation: opts.generation ?? Number(lib(n, 'hb_generation')), ttl: 3 }
  const msg = compose(new Message().add('t', 'hb_takeover').add('rsc_hold', 'all'), sender, { ts: Math.floor(Date.now() / 1000), seq: 100_000, ld: '0.00 0.00 0.00 1/1 1' })
  return encode(msg, { index: 1, method: 'sha1', key: opts.key ?? 'halo-cluster-test' })
}
