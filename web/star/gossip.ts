/**
 * Application pub/sub over gossipsub. Every incoming message is judged by the worker before
 * gossipsub delivers or forwards it; a rejection lowers the sender's peer score.
 */
import type { Message, TopicValidatorResult } from '@libp2p/gossipsub';
import type { Remote } from 'comlink';
import type { GossipMessage } from '../../shared/api.ts';
import { StarError } from '../../shared/errors.ts';
import type { AppMessage } from '../../shared/gossip/app-message.ts';
import { scoreTopic, scoreView } from '../../shared/gossip/gossip-config.ts';
import { appGossipTopic, appTopicName, DISCOVERY_TOPIC, isValidAppTopic } from '../../shared/gossip/topics.ts';
import type { StarCoreApi } from '../../worker/star-core.ts';
import type { StarNode } from './libp2p-node.ts';

export type Subscriber = (m: GossipMessage) => void;

const utf8 = new TextDecoder();

export class AppGossip {
  private readonly node: StarNode;
  private readonly core: Remote<StarCoreApi>;
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  /** the worker's decoded form of each accepted message, handed from validator to delivery */
  private readonly accepted = new WeakMap<Message, AppMessage>();

  constructor(node: StarNode, core: Remote<StarCoreApi>) {
    this.node = node;
    this.core = core;
    const pubsub = node.services.pubsub;
    scoreTopic(pubsub, DISCOVERY_TOPIC);
    pubsub.topicValidators.set(DISCOVERY_TOPIC, (peer, msg) => this.validate(msg));
    pubsub.addEventListener('message', (evt) => this.deliver(evt.detail));
  }

  async publish(topic: string, data: string | Uint8Array): Promise<void> {
    const encoded = await this.core.encodePublish(topic, data, Date.now());
    if (!encoded.ok) throw new StarError(encoded.code, encoded.message);
    await this.node.services.pubsub.publish(appGossipTopic(topic), encoded.value);
  }

  /** Test-only: publish bytes exactly as given, bypassing the envelope. */
  async publishRaw(topic: string, bytes: Uint8Array): Promise<void> {
    await this.node.services.pubsub.publish(appGossipTopic(topic), bytes);
  }

  subscribe(topic: string, fn: Subscriber): () => void {
    if (!isValidAppTopic(topic)) {
      throw new StarError('INVALID_ARGUMENT', `topic "${topic}" is not valid: use 1–100 letters, digits or _ . : - /`);
    }
    if (typeof fn !== 'function') throw new StarError('INVALID_ARGUMENT', 'subscribe(topic, callback) needs a callback function');
    let set = this.subscribers.get(topic);
    if (!set) {
      set = new Set();
      this.subscribers.set(topic, set);
      const gossipTopic = appGossipTopic(topic);
      const pubsub = this.node.services.pubsub;
      scoreTopic(pubsub, gossipTopic);
      pubsub.topicValidators.set(gossipTopic, (peer, msg) => this.validate(msg));
      pubsub.subscribe(gossipTopic);
    }
    set.add(fn);
    return () => {
      const current = this.subscribers.get(topic);
      if (!current?.delete(fn) || current.size > 0) return;
      this.subscribers.delete(topic);
      // unsubscribing after close() is harmless (a UI cleaning up), not an error
      if (this.node.status !== 'started') return;
      this.node.services.pubsub.unsubscribe(appGossipTopic(topic));
      this.node.services.pubsub.topicValidators.delete(appGossipTopic(topic));
    };
  }

  /** This Star's gossipsub score of a peer (negative: it misbehaved). */
  peerScore(peerId: string): number {
    return scoreView(this.node.services.pubsub).getScore(peerId);
  }

  /** Peer ids in this Star's gossip mesh for an app topic. */
  meshPeers(topic: string): string[] {
    return scoreView(this.node.services.pubsub).getMeshPeers(appGossipTopic(topic));
  }

  /** Peer ids this Star knows to be subscribed to an app topic. */
  topicPeers(topic: string): string[] {
    return this.node.services.pubsub.getSubscribers(appGossipTopic(topic)).map((p) => p.toString());
  }

  private async validate(msg: Message): Promise<TopicValidatorResult> {
    const judgement = await this.core.judge(msg.topic, msg.data, Date.now());
    if (judgement.app) this.accepted.set(msg, judgement.app);
    return judgement.verdict as TopicValidatorResult;
  }

  private deliver(msg: Message): void {
    const name = appTopicName(msg.topic);
    if (name === null) return;
    const app = this.accepted.get(msg);
    const set = this.subscribers.get(name);
    if (!app || !set) return;
    const out: GossipMessage = {
      topic: name,
      from: msg.type === 'signed' ? msg.from.toString() : 'anonymous',
      data: app.text ? utf8.decode(app.data) : app.data,
      sentAt: app.sentAt,
      receivedAt: Date.now(),
    };
    for (const fn of set) {
      try {
        fn(out);
      } catch (err) {
        console.error('starweave: a subscribe() callback threw', err);
      }
    }
  }
}
