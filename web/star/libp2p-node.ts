/**
 * The browser's libp2p node: WebSockets to the relay, circuit relay v2 (a reservation makes
 * this tab reachable), WebRTC for direct tab-to-tab connections, gossipsub, and pubsub peer
 * discovery. It lives on the main thread because RTCPeerConnection does not exist in workers.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { ping } from '@libp2p/ping';
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { webRTC } from '@libp2p/webrtc';
import { webSockets } from '@libp2p/websockets';
import { createLibp2p } from 'libp2p';
import { gossipOptions } from '../../shared/gossip/gossip-config.ts';
import { CONNECTION_MONITOR } from '../../shared/net/connection-monitor.ts';
import { DISCOVERY_TOPIC } from '../../shared/gossip/topics.ts';

export type StarNode = Libp2p<{ pubsub: GossipSub; identify: unknown; ping: unknown }>;

/**
 * How often a Star re-announces its addresses on the discovery topic (it also announces once
 * at start, which is how existing Stars learn a newcomer at once). Every announcement is
 * processed by every Star; measured with 16 idle tabs on 2 cores: a 4 s interval kept
 * 83 % of the CPU busy, 30 s kept 34 %. 10 s lets a newcomer find Stars that stopped
 * dialing (full) within ~10 s.
 */
export const DISCOVERY_INTERVAL_MS = 10_000;

/** how long one dial, and the answering side's upgrade of it, may take */
export const DIAL_TIMEOUT_MS = 20_000;

export async function createStarNode(): Promise<StarNode> {
  return createLibp2p({
    addresses: {
      // '/p2p-circuit' reserves a slot on the relay; '/webrtc' accepts WebRTC signalled through it
      listen: ['/p2p-circuit', '/webrtc'],
    },
    transports: [
      webSockets(),
      // no ICE servers: there is no STUN server to ask on a closed network, and host
      // candidates are enough between tabs on one machine or one LAN
      webRTC({ rtcConfiguration: { iceServers: [] } }),
      circuitRelayTransport({ reservationCompletionTimeout: 20_000 }),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // browsers refuse private and loopback addresses by default; the relay is often one
    connectionGater: { denyDialMultiaddr: async () => false },
    connectionManager: {
      maxConnections: 64,
      maxParallelDials: 8,
      dialTimeout: DIAL_TIMEOUT_MS,
      // libp2p gives each address of a dial 6 s and the answering side 10 s to finish an
      // inbound upgrade. A direct dial to a tab is one address and a chain of steps, each on
      // a busy main thread at both ends (a relayed connection with its noise handshake, the
      // SDP offer and answer through it, ICE, DTLS, the data channel). With 16 tabs on 2
      // cores they took longer: one finality run logged 276 direct dials that failed with
      // "signal timed out", and the last tabs opened never got a direct connection. Each
      // failure had cost most of the work of a success. Both sides now allow the dial's
      // whole budget.
      addressDialTimeout: DIAL_TIMEOUT_MS,
      inboundUpgradeTimeout: DIAL_TIMEOUT_MS,
      // every Star on one machine or behind one NAT shares a host address; the default of 5
      // inbound connections per second per host refuses a burst of Stars dialing in
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 32,
    },
    connectionMonitor: CONNECTION_MONITOR,
    peerDiscovery: [pubsubPeerDiscovery({ interval: DISCOVERY_INTERVAL_MS, topics: [DISCOVERY_TOPIC] })],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub(gossipOptions('star')),
    },
  });
}
