/**
 * A protocol stream to another Star for a request (sync, transfer delivery, storage): on a
 * connection that is already open when there is one, else over a new connection through the
 * relay.
 *
 * Why not `node.dialProtocol(peer)`: libp2p never reuses a relayed (limited) connection for
 * a dial. It dials every address it knows of the peer again, its WebRTC ones included, and
 * with 16 tabs on 2 cores those WebRTC handshakes time out (the finality benchmark logged
 * hundreds of "signal timed out"; a sender failed to deliver proposals to a relay-only
 * receiver for minutes, which was the finality tail). A request needs no direct connection:
 * DirectDialer makes those in the background, and a stream here moves to one once it exists.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { WebRTC } from '@multiformats/multiaddr-matcher';
import type { StarNode } from './libp2p-node.ts';

export type StreamNode = Pick<StarNode, 'dial' | 'getConnections'>;

/** This Star's relay: its peer id and multiaddr (a Star with a reservation there is at `<addr>/p2p-circuit/p2p/<peer>`). */
export interface RelayRoute {
  peer: string;
  addr: string;
}

export interface PeerStreamOptions {
  signal: AbortSignal;
  maxOutboundStreams?: number;
}

/** The open connection to use for a request: a direct (unlimited) one first, else a relayed one. */
export function openConnectionTo(node: StreamNode, id: PeerId): Connection | undefined {
  const open = node.getConnections(id).filter((c) => c.status === 'open');
  return open.find((c) => c.limits == null) ?? open[0];
}

/**
 * Where to dial `peerId` for a request: its announced addresses that are not WebRTC, and its
 * circuit address on our relay (a Star with a reservation there is reachable through it even
 * before we know its own addresses). The ones that do not parse are skipped: one bad address
 * in a presence record must not stop a dial.
 */
export function requestAddrs(peerId: string, announced: readonly string[], relay?: RelayRoute): Multiaddr[] {
  const known = relay && peerId !== relay.peer ? [...announced, `${relay.addr}/p2p-circuit/p2p/${peerId}`] : [...announced];
  const out: Multiaddr[] = [];
  for (const a of new Set(known)) {
    try {
      const ma = multiaddr(a);
      if (!WebRTC.matches(ma)) out.push(ma);
    } catch {
      // skip it
    }
  }
  return out;
}

/** Opens `protocol` to the peer: on an open connection if there is one, else by dialling `addrs` (or its id when none). */
export async function openPeerStream(node: StreamNode, id: PeerId, addrs: Multiaddr[], protocol: string, opts: PeerStreamOptions): Promise<{ stream: Stream; connection: Connection }> {
  const connection = openConnectionTo(node, id) ?? (await node.dial(addrs.length > 0 ? addrs : id, { signal: opts.signal }));
  const stream = await connection.newStream(protocol, {
    signal: opts.signal,
    runOnLimitedConnection: true,
    ...(opts.maxOutboundStreams === undefined ? {} : { maxOutboundStreams: opts.maxOutboundStreams }),
  });
  return { stream, connection };
}
