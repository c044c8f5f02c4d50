/**
 * Gossip topic names. Every topic is versioned (`/starweave/<name>/<version>`), so a
 * protocol change gets a new topic instead of confusing old Stars.
 */
export const TOPIC_PREFIX = '/starweave/';

/** The application pub/sub of the embed API: `star.publish('chat', …)` goes to `/starweave/app/1/chat`. */
export const APP_TOPIC_PREFIX = '/starweave/app/1/';

/** Gossip topic libp2p's pubsub peer discovery uses; Stars learn each other's addresses here. */
export const DISCOVERY_TOPIC = '/starweave/discovery/1';

/** Half-blocks and fraud proofs of account chains (one cluster until the scaling issue splits it). */
export const CHAIN_TOPIC = '/starweave/chain/1';

/** Signed presence records: which account runs at which peer id, so transfers reach it directly. */
export const PRESENCE_TOPIC = '/starweave/presence/1';

/** An application topic name: short, printable, no whitespace. */
export const APP_TOPIC_PATTERN = /^[A-Za-z0-9_.:\-/]{1,100}$/;

export function isValidAppTopic(name: string): boolean {
  return APP_TOPIC_PATTERN.test(name);
}

export function appGossipTopic(name: string): string {
  return APP_TOPIC_PREFIX + name;
}

/** The app topic name inside a gossip topic, or null when the gossip topic is not an app topic. */
export function appTopicName(gossipTopic: string): string | null {
  if (!gossipTopic.startsWith(APP_TOPIC_PREFIX)) return null;
  const name = gossipTopic.slice(APP_TOPIC_PREFIX.length);
  return isValidAppTopic(name) ? name : null;
}

/** Topics a relay routes: only Starweave's own namespace, so it cannot be used as a free router. */
export function isStarweaveTopic(gossipTopic: string): boolean {
  return gossipTopic.startsWith(TOPIC_PREFIX) && gossipTopic.length <= 200;
}
