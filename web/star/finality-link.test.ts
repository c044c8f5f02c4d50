import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Remote } from 'comlink';
import { BLACKHOLE_TOPIC, checkpointTopic, roundTopic } from '../../shared/finality/wire.ts';
import type { StarCoreApi } from '../../worker/star-core.ts';
import { FinalityLink } from './finality-link.ts';
import type { StarNode } from './libp2p-node.ts';

/** The part of gossipsub FinalityLink touches, recording what it is in. */
class RecordingPubsub {
  readonly topicValidators = new Map<string, unknown>();
  readonly subscribed = new Set<string>();
  readonly score = { params: { topics: {} as Record<string, unknown> } };
  subscribe(topic: string): void {
    this.subscribed.add(topic);
  }
  unsubscribe(topic: string): void {
    this.subscribed.delete(topic);
  }
}

function link(): { link: FinalityLink; pubsub: RecordingPubsub } {
  const pubsub = new RecordingPubsub();
  const node = { services: { pubsub } } as unknown as StarNode;
  const core = {} as Remote<StarCoreApi>;
  return { link: new FinalityLink(node, core), pubsub };
}

const inCluster = (c: number) => [roundTopic(c), checkpointTopic(c), BLACKHOLE_TOPIC].sort();

describe('FinalityLink', () => {
  it("is in its cluster's round and checkpoint topics and the Blackhole topic, each judged", () => {
    const { link: l, pubsub } = link();
    l.start();
    assert.deepEqual([...pubsub.subscribed].sort(), inCluster(0));
    assert.deepEqual([...pubsub.topicValidators.keys()].sort(), inCluster(0));
  });

  it('moves to another cluster\'s topics, and leaves the old cluster\'s, keeping the Blackhole topic', () => {
    const { link: l, pubsub } = link();
    l.start();
    l.moveTo(2);
    assert.deepEqual([...pubsub.subscribed].sort(), inCluster(2));
    assert.deepEqual([...pubsub.topicValidators.keys()].sort(), inCluster(2));
    l.moveTo(0);
    assert.deepEqual([...pubsub.subscribed].sort(), inCluster(0));
  });

  it('remembers a move before start, and leaves everything on stop', () => {
    const { link: l, pubsub } = link();
    l.moveTo(5);
    assert.equal(pubsub.subscribed.size, 0);
    l.start();
    assert.deepEqual([...pubsub.subscribed].sort(), inCluster(5));
    l.stop();
    assert.equal(pubsub.subscribed.size, 0);
    assert.equal(pubsub.topicValidators.size, 0);
  });
});
