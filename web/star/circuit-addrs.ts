/**
 * This Star's circuit addresses (`<relay addr>/p2p-circuit…`): they exist exactly while a
 * relay holds a reservation for it, so they are both what it announces and the test of
 * whether other Stars can reach it. With `relayPeer`, only those through that relay.
 */
import type { Libp2p } from '@libp2p/interface';

export function circuitAddrs(node: Pick<Libp2p, 'getMultiaddrs'>, relayPeer?: string): string[] {
  const marker = relayPeer === undefined ? '/p2p-circuit' : `/p2p/${relayPeer}/p2p-circuit`;
  return node
    .getMultiaddrs()
    .map((a) => a.toString())
    .filter((a) => a.includes(marker));
}
