import { HaloError } from '../../lib/errors.ts'

/**
 * A message that cannot be read, trusted or built. The decoder and the verifier return it rather than
 * throw (a bad packet is a log line, never a crash); its message says what is wrong, and the caller,
 * who knows where the packet came from, prefixes the peer.
 */
export class WireError extends HaloError {
  constructor(message: string) {
    super(1, message)
    this.name = 'WireError'
  }
}
