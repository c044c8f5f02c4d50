/**
 * The network side of finality on the main thread: the three finality gossip topics (round
 * envelopes between facilitators, checkpoint certificates up to the Galaxies, Blackhole
 * blocks down to every Star). Like ChainLink it only moves bytes: every message is judged
 * by the worker, in batches, before gossipsub delivers or forwards it. A rejected message
 * counts against its sender's peer score (the topics are scored like the chain topic); a
 * message for a later round, or an old one, is ignored without blame.
 *
 * What the worker publishes on these topics goes out through the same `publish` output as
 * chain messages (CoreOutputs.publish).
 */
import type { Message, TopicValidatorResult } from '@libp2p/gossipsub';
import type { Remote } from 'comlink';
import { BLACKHOLE_TOPIC, CHECKPOINT_TOPIC, ROUND_TOPIC } from '../../shared/finality/wire.ts';
import { scoreTopic } from '../../shared/gossip/gossip-config.ts';
import type { Verdict } from '../../shared/gossip/validate.ts';
import type { StarCoreApi } from '../../worker/star-core.ts';
import type { StarNode } from './libp2p-node.ts';
import { ValidatorBatch } from './validator-batch.ts';

export const FINALITY_TOPICS = [ROUND_TOPIC, CHECKPOINT_TOPIC, BLACKHOLE_TOPIC] as const;

export class FinalityLink {
  private readonly node: StarNode;
  private readonly batches: Record<(typeof FINALITY_TOPICS)[number], ValidatorBatch<Uint8Array, Verdict>>;
  private started = false;

  constructor(node: StarNode, core: Remote<StarCoreApi>) {
    this.node = node;
    this.batches = {
      [ROUND_TOPIC]: new ValidatorBatch((items) => core.judgeRound(items)),
      [CHECKPOINT_TOPIC]: new ValidatorBatch((items) => core.judgeCheckpoint(items)),
      [BLACKHOLE_TOPIC]: new ValidatorBatch((items) => core.judgeBlackhole(items)),
    };
  }

  /** Joins the topics once the worker's finality runs (a network whose genesis names Galaxies). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const pubsub = this.node.services.pubsub;
    for (const topic of FINALITY_TOPICS) {
      scoreTopic(pubsub, topic);
      const batch = this.batches[topic];
      pubsub.topicValidators.set(topic, (_peer, msg: Message) => this.judge(batch, msg));
      pubsub.subscribe(topic);
    }
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    const pubsub = this.node.services.pubsub;
    for (const topic of FINALITY_TOPICS) {
      pubsub.topicValidators.delete(topic);
      try {
        pubsub.unsubscribe(topic);
      } catch {
        // the node is stopping anyway
      }
    }
  }

  private async judge(batch: ValidatorBatch<Uint8Array, Verdict>, msg: Message): Promise<TopicValidatorResult> {
    try {
      return (await batch.submit(msg.data)) as TopicValidatorResult;
    } catch (err) {
      // the worker failed, not the sender: drop without blame
      console.warn('starweave: finality message not judged', err);
      return 'ignore' as TopicValidatorResult;
    }
  }
}
