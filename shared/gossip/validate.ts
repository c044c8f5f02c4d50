/**
 * The verdict on one gossip message, before it is delivered or forwarded. Used by the
 * relay (in Node) and by the Star worker (in the browser) so both judge alike.
 *   accept → deliver and forward
 *   reject → drop, and gossipsub lowers the sender's score (invalid delivery)
 *   ignore → drop without blame (e.g. a topic this node does not judge)
 *
 * Only what holds wherever a message is judged is checked here: shape, size, canonical
 * encoding, freshness. Signatures are checked by the caller in batches (the decoded blocks
 * and records are handed back so nothing is decoded twice), and chain rules (sequence,
 * balance) need a ledger, which only Stars keep.
 *
 * The finality topics are judged by shape here (envelopes, checkpoint certificates,
 * Blackhole blocks, each within its size limit); who may send an envelope or sign a
 * certificate depends on the chain (the round's seats), so only Stars and Galaxies, which
 * follow it, check those signatures. A Blackhole block's quorum is checked against the
 * genesis Galaxies, which every judge knows (see relay/gossip-judge.ts).
 */
import { decodeChainMessage, GOSSIP_LIMITS, type ChainMessage, type ProofBytes } from '../chain/chain-message.ts';
import { decodeHalfBlock, type HalfBlock } from '../chain/half-block.ts';
import { checkProof, type FraudProof } from '../chain/ledger.ts';
import { decodePresence, type Presence } from '../chain/presence.ts';
import { decodeBlackhole, MAX_BLACKHOLE_BYTES, type BlackholeBlock } from '../finality/blackhole.ts';
import { decodeCheckpointCert, MAX_CERT_BYTES, type CheckpointCert } from '../finality/checkpoint.ts';
import { BLACKHOLE_TOPIC, clusterTopic, decodeEnvelope, GALAXY_TOPIC, MAX_ENVELOPE_BYTES, type Envelope } from '../finality/wire.ts';
import { decodeAppMessage, type AppMessage } from './app-message.ts';
import { appTopicName, CHAIN_TOPIC, DISCOVERY_TOPIC, isStarweaveTopic, PRESENCE_TOPIC } from './topics.ts';

export type Verdict = 'accept' | 'reject' | 'ignore';

/** A chain gossip message, decoded; signatures not checked yet. */
export interface ChainGossip {
  message: Exclude<ChainMessage, { t: 'sync' }>;
  /** a 'blocks' message's half-blocks, in order (none for 'fraud') */
  blocks: HalfBlock[];
  /** the fraud proofs it carries ('fraud': its one proof), each checked to be a real conflict */
  proofs: FraudProof[];
}

export interface GossipJudgement {
  verdict: Verdict;
  reason?: string;
  app?: AppMessage;
  /** CHAIN_TOPIC, when accepted */
  chain?: ChainGossip;
  /** PRESENCE_TOPIC, when accepted; its signature is not checked yet */
  presence?: Presence;
  /** a round topic (kind 'round', of the topic's cluster) or GALAXY_TOPIC (kind 'galaxy'); signature and seat not checked */
  envelope?: Envelope;
  /** a checkpoint topic (of the certificate's cluster); facilitator signatures not checked */
  cert?: CheckpointCert;
  /** BLACKHOLE_TOPIC; the body matches the header's roots, Galaxy signatures not checked */
  blackhole?: BlackholeBlock;
}

/** Size ceilings of the finality topics (round and checkpoint topics: one per cluster). */
const FINALITY_LIMITS = { round: MAX_ENVELOPE_BYTES, galaxy: MAX_ENVELOPE_BYTES, checkpoint: MAX_CERT_BYTES, blackhole: MAX_BLACKHOLE_BYTES } as const;

type FinalityTopic = { kind: 'round' | 'checkpoint'; cluster: number } | { kind: 'galaxy' | 'blackhole' };

function finalityTopic(gossipTopic: string): FinalityTopic | undefined {
  if (gossipTopic === GALAXY_TOPIC) return { kind: 'galaxy' };
  if (gossipTopic === BLACKHOLE_TOPIC) return { kind: 'blackhole' };
  return clusterTopic(gossipTopic);
}

/** Peer discovery records are small protobufs (peer id + a few multiaddrs). */
export const MAX_DISCOVERY_BYTES = 4 * 1024;
/** Any other Starweave topic (added by later protocol versions) gets this ceiling. */
export const MAX_OTHER_TOPIC_BYTES = 128 * 1024;

export function judgeGossip(gossipTopic: string, data: Uint8Array, now: number): GossipJudgement {
  if (!isStarweaveTopic(gossipTopic)) return { verdict: 'ignore', reason: 'not a Starweave topic' };
  if (gossipTopic === DISCOVERY_TOPIC) {
    return data.byteLength <= MAX_DISCOVERY_BYTES ? { verdict: 'accept' } : { verdict: 'reject', reason: 'discovery record too large' };
  }
  if (gossipTopic === CHAIN_TOPIC) return judgeChain(data);
  if (gossipTopic === PRESENCE_TOPIC) {
    const decoded = decodePresence(data, now);
    return decoded.ok ? { verdict: 'accept', presence: decoded.value } : { verdict: 'reject', reason: decoded.reason };
  }
  const finality = judgeFinality(gossipTopic, data);
  if (finality) return finality;
  const name = appTopicName(gossipTopic);
  if (name !== null) {
    const decoded = decodeAppMessage(data, name, now);
    return decoded.ok ? { verdict: 'accept', app: decoded.message } : { verdict: 'reject', reason: decoded.reason };
  }
  return data.byteLength <= MAX_OTHER_TOPIC_BYTES ? { verdict: 'accept' } : { verdict: 'reject', reason: 'message too large' };
}

function judgeFinality(gossipTopic: string, data: Uint8Array): GossipJudgement | undefined {
  const topic = finalityTopic(gossipTopic);
  if (topic === undefined) return undefined;
  const limit = FINALITY_LIMITS[topic.kind];
  if (data.byteLength > limit) return { verdict: 'reject', reason: `message too large (${data.byteLength} bytes, limit ${limit})` };
  if (topic.kind === 'round' || topic.kind === 'galaxy') {
    const decoded = decodeEnvelope(data);
    if (!decoded.ok) return { verdict: 'reject', reason: decoded.reason };
    // an envelope replayed onto the other topic would reach the wrong protocol
    if (decoded.value.kind !== topic.kind) return { verdict: 'reject', reason: `a ${decoded.value.kind} envelope on the ${topic.kind} topic` };
    // and one on another cluster's topic would reach Stars that cannot judge it
    if (topic.kind === 'round' && decoded.value.cluster !== topic.cluster) return { verdict: 'reject', reason: `cluster ${decoded.value.cluster}'s envelope on cluster ${topic.cluster}'s round topic` };
    return { verdict: 'accept', envelope: decoded.value };
  }
  if (topic.kind === 'checkpoint') {
    const decoded = decodeCheckpointCert(data);
    if (!decoded.ok) return { verdict: 'reject', reason: decoded.reason };
    if (decoded.value.checkpoint.cluster !== topic.cluster) return { verdict: 'reject', reason: `cluster ${decoded.value.checkpoint.cluster}'s certificate on cluster ${topic.cluster}'s checkpoint topic` };
    return { verdict: 'accept', cert: decoded.value };
  }
  const decoded = decodeBlackhole(data);
  return decoded.ok ? { verdict: 'accept', blackhole: decoded.value } : { verdict: 'reject', reason: decoded.reason };
}

function judgeChain(data: Uint8Array): GossipJudgement {
  const decoded = decodeChainMessage(data, GOSSIP_LIMITS);
  if (!decoded.ok) return { verdict: 'reject', reason: decoded.reason };
  const message = decoded.value;
  if (message.t === 'sync') return { verdict: 'reject', reason: 'a sync request belongs on the chain-sync stream, not on gossip' };
  const rawProofs: ProofBytes[] = message.t === 'fraud' ? [message] : message.proofs;
  const rawBlocks = message.t === 'blocks' ? message.blocks : [];
  if (rawBlocks.length === 0 && rawProofs.length === 0) return { verdict: 'reject', reason: 'a blocks message on gossip must carry at least one block or proof' };
  const blocks: HalfBlock[] = [];
  for (const [i, bytes] of rawBlocks.entries()) {
    const block = decodeHalfBlock(bytes);
    if (!block.ok) return { verdict: 'reject', reason: `block ${i}: ${block.reason}` };
    blocks.push(block.value);
  }
  const proofs: FraudProof[] = [];
  for (const [i, raw] of rawProofs.entries()) {
    const a = decodeHalfBlock(raw.a);
    const b = decodeHalfBlock(raw.b);
    if (!a.ok) return { verdict: 'reject', reason: `proof ${i}, block a: ${a.reason}` };
    if (!b.ok) return { verdict: 'reject', reason: `proof ${i}, block b: ${b.reason}` };
    const proof: FraudProof = { kind: raw.kind, a: a.value, b: b.value };
    // a "proof" whose blocks do not conflict would block an honest account: no signature makes it true
    if (!checkProof(proof)) return { verdict: 'reject', reason: `proof ${i}: the two blocks are not a ${raw.kind}` };
    proofs.push(proof);
  }
  return { verdict: 'accept', chain: { message, blocks, proofs } };
}
