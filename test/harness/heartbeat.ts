/**
 * The real Heartbeat 3.0.6 (Debian's package) in a virtual node, beside or instead of halo: the lab's
 * start-up and command names (demo/heartbeat.ts), and what in its log betrays a peer that does not speak
 * its protocol. See ../../../shared/reference/heartbeat-wire/README.md.
 */
export { HEARTBEAT_BOOT, heartbeatAnswers, heartbeatCommand, installHeartbeatFiles } from '../../demo/heartbeat.ts'

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
