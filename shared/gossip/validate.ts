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
 */
import { decodeChainMessage, GOSSIP_LIMITS, type ChainMessage, type ProofBytes } from '../chain/chain-message.ts';
import { decodeHalfBlock, type HalfBlock } from '../chain/half-block.ts';
import { checkProof, type FraudProof } from '../chain/ledger.ts';
import { decodePresence, type Presence } from '../chain/presence.ts';
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
  const name = appTopicName(gossipTopic);
  if (name !== null) {
    const decoded = decodeAppMessage(data, name, now);
    return decoded.ok ? { verdict: 'accept', app: decoded.message } : { verdict: 'reject', reason: decoded.reason };
  }
  return data.byteLength <= MAX_OTHER_TOPIC_BYTES ? { verdict: 'accept' } : { verdict: 'reject', reason: 'message too large' };
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
