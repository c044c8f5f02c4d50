/**
 * Gossipsub settings shared by the relay and every Star. The defaults of gossipsub are
 * tuned for long-lived servers on distinct IPs; a network of browser tabs differs:
 *  - every tab on one machine (and many behind one NAT) shares an IP, so the IP-colocation
 *    penalty would push every Star below the gossip threshold: it is off;
 *  - the heartbeat (mesh repair, IHAVE gossip) stays at once a second: faster costs every
 *    tab CPU for control traffic (measured: 400 ms gave a worse p99 at 16 tabs);
 *  - publishing floods to every known subscriber (`floodPublish`) so the first hop reaches
 *    every directly connected Star at once, and a narrow mesh (D=3, gossipsub's default is
 *    6) carries the rest: after the flood almost every mesh copy is a duplicate, and the
 *    copies are what a tab's main thread spends its time on (a 16-tab CPU profile: data-
 *    channel sends, gossipsub, framing and message ids were the top items). Measured with
 *    `npm run bench -- --only finality` (16 tabs): D=6 p50 6.6–7.1 s in four runs, D=3
 *    3.4 and 4.6 s, blocks 2.8–3.2 s apart instead of 4.2–5.1 s. A wider mesh was worse
 *    still (earlier sessions);
 *  - the relay is connected to every Star anyway, so its mesh is wide (D=24, up to 48):
 *    every message reaches most Stars within two hops through it, and the IHAVE/IWANT path
 *    (a heartbeat's delay) is left for repairs. Without the relay the Stars' own mesh
 *    still carries everything, only with more hops;
 *  - a relayed (limited) connection never carries gossip, only signalling: gossip flows over
 *    direct WebRTC and over the WebSocket to the relay.
 *  - a message reaches a Star from several mesh peers; gossipsub checks each copy's
 *    signature BEFORE it looks in its seen-cache, unless a fast message id lets it spot the
 *    copy first. The fast id is (from, seqno), the message id gossipsub itself uses under
 *    StrictSign, so it drops nothing the seen-cache would have kept: a second message with
 *    the same from and seqno is a duplicate there too. Gossipsub fills the fast-id cache
 *    only after a copy's signature checked out, so a forged copy (same from and seqno, other
 *    data) cannot shadow the real one: it fails its signature and is not remembered.
 *    Measured on an idle 16-tab network: signature checks were 2–5 % of a tab's main
 *    thread, most of them on copies. The id used to hash the data as well: 2 % of the pages'
 *    busy time in a 16-tab profile, and a 60 kB proposal hashed once per copy.
 *  - IDONTWANT (gossipsub 1.2) goes out only for messages of 16 KiB or more (proposals,
 *    certificates, Blackhole blocks; gossipsub's default is 512 B). A Star sends it to
 *    every mesh peer the moment a message arrives, one RPC each, before it forwards the
 *    message; for a round envelope of a few hundred bytes that cost as much as the
 *    duplicate it might save, and the duplicate usually crossed it on the way anyway.
 * Application-level rejections (a malformed envelope, a bad signature) are scored through
 * the per-topic invalid-delivery penalty (P4), so a peer that sends garbage drops below the
 * gossip and graylist thresholds after one or two messages.
 */
import type { GossipsubOpts } from '@libp2p/gossipsub';
import { toHex } from '../codec/hex.ts';
import { createTopicScoreParams, type PeerScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score';

/** Messages at least this large are announced with IDONTWANT to the mesh (see above). */
export const IDONTWANT_MIN_BYTES = 16 * 1024;

/** Largest RPC frame a Star accepts from one peer (several messages may share a frame). */
export const MAX_GOSSIP_RPC_BYTES = 512 * 1024;

export function gossipOptions(role: 'star' | 'relay'): Partial<GossipsubOpts> {
  const mesh = role === 'relay' ? { D: 24, Dlo: 16, Dhi: 48, Dout: 2, Dlazy: 8 } : { D: 3, Dlo: 2, Dhi: 6, Dout: 1, Dlazy: 6 };
  return {
    ...mesh,
    heartbeatInterval: 1_000,
    fanoutTTL: 30_000,
    floodPublish: true,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    emitSelf: false,
    // the relay hands pruned Stars the addresses of others so they can rebuild their mesh
    doPX: role === 'relay',
    runOnLimitedConnection: false,
    maxInboundDataLength: MAX_GOSSIP_RPC_BYTES,
    idontwantMinDataSize: IDONTWANT_MIN_BYTES,
    fastMsgIdFn: fastMessageId,
    scoreParams: {
      IPColocationFactorWeight: 0,
      topics: {},
    } as Partial<PeerScoreParams> as PeerScoreParams,
  };
}

/** A received message's from and seqno (hex, a dot between), the seen-cache key of its copies. */
export function fastMessageId(msg: { from?: Uint8Array; seqno?: Uint8Array }): string {
  // hex never contains the dot, so bytes cannot slide from one field into the other
  return `${toHex(msg.from ?? NO_BYTES)}.${toHex(msg.seqno ?? NO_BYTES)}`;
}

const NO_BYTES = new Uint8Array(0);

/** Score parameters for one topic: only the penalties matter here, rewards stay small. */
export function topicScoreParams(): TopicScoreParams {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 100,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    // quiet topics are normal (a chat nobody writes in); do not punish silent mesh peers
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    // each rejected message: -20 × count², decaying 1 %/s: one bad message drops the sender
    // below the gossip threshold (-10), two below the graylist threshold (-80)
    invalidMessageDeliveriesWeight: -20,
    invalidMessageDeliveriesDecay: 0.99,
  });
}

/** The part of a gossipsub instance we use beyond the public interface (score inspection). */
export interface GossipScoreView {
  getScore(peerId: string): number;
  getMeshPeers(topic: string): string[];
  score: { params: PeerScoreParams };
}

/** Gossipsub's score and mesh inspection, which its public interface type leaves out. */
export function scoreView(pubsub: object): GossipScoreView {
  return pubsub as GossipScoreView;
}

/** Registers score parameters for a topic on a running gossipsub (topics are dynamic). */
export function scoreTopic(pubsub: object, topic: string): void {
  scoreView(pubsub).score.params.topics[topic] ??= topicScoreParams();
}
