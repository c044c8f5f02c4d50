/**
 * The verdict on one gossip message, before it is delivered or forwarded. Used by the
 * relay (in Node) and by the Star worker (in the browser) so both judge alike.
 *   accept → deliver and forward
 *   reject → drop, and gossipsub lowers the sender's score (invalid delivery)
 *   ignore → drop without blame (e.g. a topic this node does not judge)
 */
import { decodeAppMessage, type AppMessage } from './app-message.ts';
import { appTopicName, DISCOVERY_TOPIC, isStarweaveTopic } from './topics.ts';

export type Verdict = 'accept' | 'reject' | 'ignore';

export interface GossipJudgement {
  verdict: Verdict;
  reason?: string;
  app?: AppMessage;
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
  const name = appTopicName(gossipTopic);
  if (name !== null) {
    const decoded = decodeAppMessage(data, name, now);
    return decoded.ok ? { verdict: 'accept', app: decoded.message } : { verdict: 'reject', reason: decoded.reason };
  }
  return data.byteLength <= MAX_OTHER_TOPIC_BYTES ? { verdict: 'accept' } : { verdict: 'reject', reason: 'message too large' };
}
