/**
 * The real Heartbeat 3.0.6 (Debian's package) in a virtual node, beside or instead of halo: how it is
 * started, which of its programs answer halo's command names, and what in its log betrays a peer that
 * does not speak its protocol. See ../../../shared/reference/heartbeat-wire/README.md.
 */
import { HEARTBEAT_PROGRAMS } from '../../demo/heartbeat.ts'

export { HEARTBEAT_BOOT, heartbeatAnswers, installHeartbeatFiles } from '../../demo/heartbeat.ts'

/** argv for halo's command `name` on a real Heartbeat node. */
export function heartbeatCommand(name: string, args: readonly string[]): string[] {
  const program = HEARTBEAT_PROGRAMS[name]
  if (!program) throw new Error(`${name}: no such command on a Heartbeat node`)
  return [program, ...args]
}

/**
 * What in a Heartbeat log betrays a peer that does not speak its protocol: an authentication failure
 * ("netstring authentication failed", "authtoken does not match"), a drop (should_drop_message: replay,
 * bad sequence, generation or timestamp), a late heartbeat, or any other ERROR but the ones a node in a
 * test always logs.
 */
const trouble = [/authenticat/i, /replay/i, /should_drop_message/, /Late heartbeat/, /bad (node|message|packet)/i, /rexmit seqnos|corrupted ackseq/i, /\bERROR:/, /\bCRIT:/]
/** ERRORs of a healthy node in a test: no memory lock in a container. */
const harmless = [/Cannot lock ourselves into memory/]

/** The lines of a Heartbeat log that point at its peer's packets (empty when all is well). */
export function logTrouble(log: string, ignore: readonly RegExp[] = []): string[] {
  return log.split('\n').filter((line) => trouble.some((re) => re.test(line)) && ![...harmless, ...ignore].some((re) => re.test(line)))
}
