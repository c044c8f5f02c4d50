/**
 * The network side of finality on the main thread: the three finality gossip topics (round
 * envelopes between facilitators and checkpoint certificates up to the Galaxies, both of
 * this Star's cluster only, and Blackhole blocks down to every Star). Like ChainLink it
 * only moves bytes (with the topic's cluster, which the message must name): every message
 * is judged by the worker, in batches, before gossipsub delivers or forwards it. A rejected message
 * counts against its sender's peer score (the topics are scored like the chain topic); a
 * message for a later round, or an old one, is ignored without blame.
 *
 * What the worker publishes on these topics goes out through the same `publish` output as
 * chain messages (CoreOutputs.publish).
 */
import type { Message, TopicValidatorResult } from '@libp2p/gossipsub';
import type { Remote } from 'comlink';
import { BLACKHOLE_TOPIC, checkpointTopic, roundTopic } from '../../shared/finality/wire.ts';
import { scoreTopic } from '../../shared/gossip/gossip-config.ts';
import type { Verdict } from '../../shared/gossip/validate.ts';
import type { ClusterGossip } from '../../worker/finality-service.ts';
import type { StarCoreApi } from '../../worker/star-core.ts';
import type { StarNode } from './libp2p-node.ts';
import { ValidatorBatch } from './validator-batch.ts';

type Kind = 'round' | 'checkpoint' | 'blackhole';

/** The finality topics a Star in `cluster` is in: its cluster's round and checkpoint topics, and the Blackhole topic. */
function finalityTopics(cluster: number): Array<{ topic: string; kind: Kind }> {
  return [
    { topic: roundTopic(cluster), kind: 'round' },
    { topic: checkpointTopic(cluster), kind: 'checkpoint' },
    { topic: BLACKHOLE_TOPIC, kind: 'blackhole' },
  ];
}

export class FinalityLink {
  private readonly node: StarNode;
  /** round and checkpoint messages go with their topic's cluster, which the worker holds them to */
  private readonly batches: { round: ValidatorBatch<ClusterGossip, Verdict>; checkpoint: ValidatorBatch<ClusterGossip, Verdict>; blackhole: ValidatorBatch<Uint8Array, Verdict> };
  private started = false;
  /** the cluster whose topics this Star is in (the worker says when it moves: `moveTo`) */
  private cluster = 0;

  constructor(node: StarNode, core: Remote<StarCoreApi>) {
    this.node = node;
    this.batches = {
      round: new ValidatorBatch((items) => core.judgeRound(items)),
      checkpoint: new ValidatorBatch((items) => core.judgeCheckpoint(items)),
      blackhole: new ValidatorBatch((items) => core.judgeBlackhole(items)),
    };
  }

  /** Joins the topics once the worker's finality runs (a network whose genesis names Galaxies). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const t of finalityTopics(this.cluster)) this.join(t.topic, t.kind, this.cluster);
  }

  /**
   * This Star's cluster changed (a Blackhole block moved it, at a round boundary): it leaves
   * the old cluster's round and checkpoint topics and joins the new one's. Before `start`,
   * only remembered.
   */
  moveTo(cluster: number): void {
    if (cluster === this.cluster) return;
    const before = finalityTopics(this.cluster);
    this.cluster = cluster;
    if (!this.started) return;
    const after = finalityTopics(cluster);
    for (const t of after) if (!before.some((b) => b.topic === t.topic)) this.join(t.topic, t.kind, cluster);
    for (const t of before) if (!after.some((a) => a.topic === t.topic)) this.leave(t.topic);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    for (const t of finalityTopics(this.cluster)) this.leave(t.topic);
  }

  private join(topic: string, kind: Kind, cluster: number): void {
    const pubsub = this.node.services.pubsub;
    scoreTopic(pubsub, topic);
    const validate = (_peer: unknown, msg: Message): Promise<TopicValidatorResult> =>
      kind === 'blackhole' ? this.judge(this.batches.blackhole.submit(msg.data)) : this.judge(this.batches[kind].submit({ bytes: msg.data, cluster }));
    pubsub.topicValidators.set(topic, validate);
    pubsub.subscribe(topic);
  }

  private leave(topic: string): void {
    const pubsub = this.node.services.pubsub;
    pubsub.topicValidators.delete(topic);
    try {
      pubsub.unsubscribe(topic);
    } catch {
      // the node is stopping anyway
    }
  }

  private async judge(verdict: Promise<Verdict>): Promise<TopicValidatorResult> {
    try {
      return (await verdict) as TopicValidatorResult;
    } catch (err) {
      // the worker failed, not the sender: drop without blame
      console.warn('starweave: finality message not judged', err);
      return 'ignore' as TopicValidatorResult;
    }
  }
}
