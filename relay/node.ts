/**
 * The relay's libp2p node: WebSockets (behind the HTTP server's upgrade proxy), circuit
 * relay v2 server with limits sized for hundreds of tabs, a gossipsub router that routes
 * every Starweave topic any Star subscribes to, and the chain-sync responder for the
 * faucet's chain.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { circuitRelayServer } from '@libp2p/circuit-relay-v2';
import { gossipsub, type GossipSub, type TopicValidatorResult } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { PrivateKey } from '@libp2p/interface';
import { ping } from '@libp2p/ping';
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { webSockets } from '@libp2p/websockets';
import { createLibp2p, type Libp2p } from 'libp2p';
import { encodeChainMessage, MAX_STREAM_BYTES, SYNC_PROTOCOL } from '../shared/chain/chain-message.ts';
import { gossipOptions, scoreTopic } from '../shared/gossip/gossip-config.ts';
import { CHAIN_TOPIC, DISCOVERY_TOPIC, isStarweaveTopic, PRESENCE_TOPIC } from '../shared/gossip/topics.ts';
import type { GossipJudgement } from '../shared/gossip/validate.ts';
import { BLACKHOLE_TOPIC, checkpointTopic, GALAXY_TOPIC, roundTopic } from '../shared/finality/wire.ts';
import { serveExchange } from '../shared/net/lp-exchange.ts';
import { CONNECTION_MONITOR } from '../shared/net/connection-monitor.ts';
import { answerSyncRequest, type SyncSource } from '../shared/chain/chain-sync.ts';
import { FraudProofs } from './fraud-proofs.ts';
import { releaseReservationsOnDisconnect } from './reservation-release.ts';
import type { RelayConfig } from './config.ts';
import type { RelayGossipJudge } from './gossip-judge.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';

export type RelayNode = Libp2p<{ pubsub: GossipSub; relay: ReturnType<ReturnType<typeof circuitRelayServer>>; identify: unknown; ping: unknown }>;

/**
 * Topics the relay is in from the start and never leaves: Stars and Galaxies rely on it to
 * route them (a Galaxy's first block share must not wait for the relay to notice a subscriber).
 * Cluster 0 always exists; other clusters' round and checkpoint topics are joined when a
 * Star subscribes to them, like any other Starweave topic.
 */
export const PERMANENT_TOPICS: readonly string[] = [DISCOVERY_TOPIC, CHAIN_TOPIC, PRESENCE_TOPIC, roundTopic(0), checkpointTopic(0), GALAXY_TOPIC, BLACKHOLE_TOPIC];

export interface RelayChainDeps {
  /** the relay's gossip verdict: shared rules plus signatures */
  judge: RelayGossipJudge;
  /** the chains the relay answers sync requests for (the faucet's) */
  sync: SyncSource;
}

export async function createRelayNode(
  config: RelayConfig,
  key: PrivateKey,
  log: Logger,
  metrics: RelayMetrics,
  internalWsPort: number,
  chain: RelayChainDeps,
): Promise<RelayNode> {
  const node = await createLibp2p({
    privateKey: key,
    addresses: {
      // internal only: browsers reach it through the public HTTP port's upgrade proxy
      listen: [`/ip4/127.0.0.1/tcp/${internalWsPort}/ws`],
      announce: [`/ip4/${announceHost(config.host)}/tcp/${config.port}/ws`],
    },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: config.maxConnections, inboundConnectionThreshold: 1000, maxIncomingPendingConnections: 256 },
    connectionMonitor: CONNECTION_MONITOR,
    peerDiscovery: [pubsubPeerDiscovery({ interval: 10_000, topics: [DISCOVERY_TOPIC], listenOnly: true })],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub(gossipOptions('relay')),
      relay: circuitRelayServer({
        // a Star holds one reservation while it is connected (released when it leaves, see
        // reservation-release.ts); the relay's own default of 15 would stop the 16th tab
        // from being reachable
        reservations: {
          maxReservations: config.maxReservations,
          defaultDurationLimit: config.relayDurationMs,
          defaultDataLimit: BigInt(config.relayDataBytes),
        },
        maxInboundHopStreams: 4096,
        maxOutboundStopStreams: 4096,
      }),
    },
  });
  const proofs = new FraudProofs();
  routeStarweaveTopics(node, config, log, metrics, chain.judge, proofs);
  // limited (relayed) connections too: one small request and answer fits any relay limit
  await node.handle(SYNC_PROTOCOL, serveExchange(MAX_STREAM_BYTES, async (request) => answerSyncRequest(request, chain.sync, proofs.list())), { runOnLimitedConnection: true });
  node.addEventListener('connection:open', () => metrics.connections.set(node.getConnections().length));
  node.addEventListener('connection:close', () => metrics.connections.set(node.getConnections().length));
  releaseReservationsOnDisconnect(node, (peer) => log.debug({ peer: peer.toString() }, 'released the relay reservation of a Star that left'));
  setInterval(() => metrics.reservations.set(node.services.relay.reservations.size), 2_000).unref();
  return node;
}

/** The address browsers use: a wildcard listen address is announced as loopback. */
export function announceHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * Gossipsub forwards only topics the node itself subscribes to. The relay is in the
 * discovery, chain and presence topics from the start, joins each other Starweave topic a
 * connected Star subscribes to (up to `maxTopics`), judges every message with the same
 * rules as the Stars (and checks chain and presence signatures), and leaves topics nobody
 * subscribes to any more.
 */
function routeStarweaveTopics(node: RelayNode, config: RelayConfig, log: Logger, metrics: RelayMetrics, judge: RelayGossipJudge, proofs: FraudProofs): void {
  const pubsub = node.services.pubsub;
  const join = (topic: string): void => {
    if (pubsub.getTopics().includes(topic) || !isStarweaveTopic(topic)) return;
    if (pubsub.getTopics().length >= config.maxTopics) {
      log.warn({ topic, maxTopics: config.maxTopics }, 'topic limit reached; not routing this topic');
      return;
    }
    scoreTopic(pubsub, topic);
    pubsub.topicValidators.set(topic, async (peer, msg) => {
      let judgement: GossipJudgement;
      try {
        judgement = await judge(msg.topic, msg.data, Date.now());
      } catch (err) {
        // a bug in judging is not the sender's fault: drop without blame
        log.warn({ topic: msg.topic, err: (err as Error).message }, 'gossip judge failed');
        judgement = { verdict: 'ignore', reason: 'judge failed' };
      }
      const { verdict, reason } = judgement;
      metrics.gossipMessages.inc({ verdict });
      // only messages that carry proofs are looked at again (most carry none)
      if (verdict === 'accept' && (judgement.chain?.proofs.length ?? 0) > 0) proofs.noteAccepted(msg.data);
      // debug, not info: a flood of garbage must not become a flood of log lines (the metric counts it)
      if (verdict === 'reject') log.debug({ topic: msg.topic, from: peer.toString(), reason }, 'rejected gossip message');
      return verdict as TopicValidatorResult;
    });
    pubsub.subscribe(topic);
    metrics.topics.set(pubsub.getTopics().length);
    log.debug({ topic }, 'routing topic');
  };
  for (const topic of PERMANENT_TOPICS) join(topic);
  pubsub.addEventListener('subscription-change', (evt) => {
    for (const s of evt.detail.subscriptions) if (s.subscribe) join(s.topic);
  });
  setInterval(() => {
    for (const topic of pubsub.getTopics()) {
      if (!PERMANENT_TOPICS.includes(topic) && pubsub.getSubscribers(topic).length === 0) {
        pubsub.unsubscribe(topic);
        pubsub.topicValidators.delete(topic);
      }
    }
    metrics.topics.set(pubsub.getTopics().length);
  }, 30_000).unref();
}

/**
 * Gossips blocks on the chain topic. Failing to publish (no peer on the topic yet) is not an
 * error: whoever asked for the block got it in the HTTP answer, and Stars sync the rest.
 */
export async function publishChainBlocks(node: RelayNode, blocks: Uint8Array[], log: Logger): Promise<void> {
  try {
    await node.services.pubsub.publish(CHAIN_TOPIC, encodeChainMessage({ t: 'blocks', blocks, more: false, proofs: [] }));
  } catch (err) {
    log.debug({ err: (err as Error).message }, 'chain blocks not gossiped');
  }
}
