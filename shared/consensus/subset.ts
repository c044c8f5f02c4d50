/**
 * Asynchronous Common Subset (ACS, as in HoneyBadgerBFT and hbbft's subset module): every
 * node proposes a value, and all honest nodes output the same set of (proposer, value)
 * pairs, containing at least n−f proposals of which at least n−2f come from honest nodes.
 *
 * One reliable broadcast per proposer carries the proposals; one binary agreement per
 * proposer decides whether that proposal is in:
 * - when RBC j delivers, input 1 to BA j (we have the value, vote it in);
 * - once n−f BAs have decided 1, input 0 to every BA we have not input to yet: enough is
 *   in, and waiting for slow or silent proposers would let one of them stall the round;
 * - when every BA has decided, output the values of the RBCs whose BA decided 1, waiting
 *   for those RBCs to deliver (BA j decided 1 ⇒ some honest node input 1 ⇒ RBC j
 *   delivered at an honest node ⇒ it delivers everywhere), ordered by proposer index.
 *
 * Messages are wrapped with the protocol kind and the instance (proposer index) they
 * belong to; the state machines underneath never see each other's traffic.
 */
import type { Coin } from './coin.ts';
import { BinaryAgreement, type BaMessage, type BaStep } from './binary-agreement.ts';
import { ReliableBroadcast, type RbcMessage, type RbcStep } from './reliable-broadcast.ts';
import { emptyStep, isNode, type NodeId, type Params, type Step } from './types.ts';

export type AcsMessage =
  | { kind: 'rbc'; instance: NodeId; message: RbcMessage }
  | { kind: 'ba'; instance: NodeId; message: BaMessage };

/** One accepted proposal. */
export interface Contribution {
  proposer: NodeId;
  value: Uint8Array;
}

export type AcsStep = Step<AcsMessage, Contribution[]>;

export class CommonSubset {
  readonly params: Params;
  readonly me: NodeId;
  readonly #rbc: ReliableBroadcast[];
  readonly #ba: BinaryAgreement[];
  #output: Contribution[] | undefined;

  /** `coinFor(j)` is BA j's common coin; it must be the same function at every node. */
  constructor(params: Params, me: NodeId, coinFor: (instance: NodeId) => Coin) {
    if (!isNode(params, me)) throw new RangeError('node index out of range');
    this.params = params;
    this.me = me;
    this.#rbc = Array.from({ length: params.n }, (_, j) => new ReliableBroadcast(params, me, j));
    this.#ba = Array.from({ length: params.n }, (_, j) => new BinaryAgreement(params, me, coinFor(j)));
  }

  get output(): Contribution[] | undefined {
    return this.#output;
  }

  /** How far this node is (diagnostics): proposals delivered, agreements decided 1. */
  progress(): { delivered: number; ones: number } {
    return {
      delivered: this.#rbc.filter((r) => r.delivered !== undefined).length,
      ones: this.#ba.filter((ba) => ba.decision === true).length,
    };
  }

  /** Broadcast our own proposal (once). */
  propose(value: Uint8Array): AcsStep {
    const step: AcsStep = emptyStep();
    this.#absorbRbc(step, this.me, this.#rbc[this.me]!.propose(value));
    return step;
  }

  handle(from: NodeId, message: AcsMessage): AcsStep {
    const step: AcsStep = emptyStep();
    if (!isNode(this.params, from)) return step;
    if (message === null || typeof message !== 'object' || !isNode(this.params, message.instance)) {
      step.faults.push({ node: from, reason: 'acs: malformed message' });
      return step;
    }
    const j = message.instance;
    if (message.kind === 'rbc') this.#absorbRbc(step, j, this.#rbc[j]!.handle(from, message.message));
    else if (message.kind === 'ba') this.#absorbBa(step, j, this.#ba[j]!.handle(from, message.message));
    else step.faults.push({ node: from, reason: 'acs: unknown message kind' });
    return step;
  }

  #absorbRbc(step: AcsStep, j: NodeId, inner: RbcStep): void {
    for (const { to, message } of inner.messages) step.messages.push({ to, message: { kind: 'rbc', instance: j, message } });
    for (const fault of inner.faults) step.faults.push({ node: fault.node, reason: `[rbc ${j}] ${fault.reason}` });
    if (inner.output !== undefined) {
      const ba = this.#ba[j]!;
      if (ba.acceptsInput()) this.#absorbBa(step, j, ba.input(true));
      this.#tryOutput(step);
    }
  }

  #absorbBa(step: AcsStep, j: NodeId, inner: BaStep): void {
    for (const { to, message } of inner.messages) step.messages.push({ to, message: { kind: 'ba', instance: j, message } });
    for (const fault of inner.faults) step.faults.push({ node: fault.node, reason: `[ba ${j}] ${fault.reason}` });
    if (inner.output === undefined) return;
    const ones = this.#ba.filter((ba) => ba.decision === true).length;
    if (ones >= this.params.n - this.params.f) {
      for (let k = 0; k < this.params.n; k++) {
        const ba = this.#ba[k]!;
        if (ba.acceptsInput()) this.#absorbBa(step, k, ba.input(false));
      }
    }
    this.#tryOutput(step);
  }

  #tryOutput(step: AcsStep): void {
    if (this.#output !== undefined) return;
    const out: Contribution[] = [];
    for (let j = 0; j < this.params.n; j++) {
      const decision = this.#ba[j]!.decision;
      if (decision === undefined) return;
      if (!decision) continue;
      const value = this.#rbc[j]!.delivered;
      if (value === undefined) return;
      out.push({ proposer: j, value });
    }
    this.#output = out;
    step.output = out;
  }
}
