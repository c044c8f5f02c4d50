/**
 * Binary Byzantine agreement (Mostéfaoui–Moumen–Raynal, PODC 2014, as used by
 * HoneyBadgerBFT and structured like hbbft's binary_agreement): every node inputs a bit,
 * all honest nodes decide the same bit, and if all honest nodes input b they decide b.
 *
 * Per epoch r, with estimate est:
 * 1. BVAL: broadcast BVAL(est). On f+1 BVAL(b) relay BVAL(b) (one honest node vouches for
 *    b); on 2f+1 BVAL(b) add b to bin_values (every honest node will too).
 * 2. AUX: broadcast AUX(w) for the first w entering bin_values.
 * 3. On n−f AUX whose values lie in bin_values, vals := their values; s := coin(r).
 *    vals = {b}: if b = s decide b, else est := b. vals = {0,1}: est := s.
 *
 * No CONF step. MMR 2015 and hbbft add one between 2 and 3 (each node broadcasts its
 * bin_values and waits for n−f of those): it closes a liveness attack in which an adversary
 * that learns the coin as it is revealed lets values into bin_values late. It changes nothing
 * for safety, and our coin (coin.ts) is known from the round seed before the round starts,
 * so that adversary can stall an epoch with or without CONF. Leaving it out saves one
 * message delay per epoch: the happy path decides in two hops after BVAL instead of three,
 * and every round's ACS waits on the slowest of its agreements. Put it back with a
 * threshold coin (coin.ts says how).
 *
 * Safety: two honest nodes cannot end an epoch with vals {b} and {¬b} (their n−f AUX sets
 * intersect in an honest node, which sends one AUX), so once an honest node decides b,
 * every honest node carries est = b (vals {b}, or {0,1} and the coin, which was b) and ¬b
 * can never again gather f+1 BVALs.
 *
 * Termination (as hbbft): a node that decides broadcasts TERM(b) and stops. TERM(b) counts
 * as that node's BVAL(b) and AUX(b) in every later epoch, so nodes still running are not
 * starved by those that left; f+1 TERM(b) include an honest decider, so receiving them is
 * itself grounds to decide b.
 */
import type { Coin } from './coin.ts';
import { emptyStep, isNode, type NodeId, type Params, type Step } from './types.ts';

export type BaMessage = { t: 'bval'; epoch: number; value: boolean } | { t: 'aux'; epoch: number; value: boolean } | { t: 'term'; value: boolean };

export type BaStep = Step<BaMessage, boolean>;

/** Sets of bits are masks: 1 = {false}, 2 = {true}, 3 = {false, true}. */
const bit = (b: boolean): 1 | 2 => (b ? 2 : 1);

/** Messages of the current epoch; reset when the epoch advances. */
class EpochState {
  readonly bvalFrom: [Set<NodeId>, Set<NodeId>] = [new Set(), new Set()];
  readonly sentBval = new Set<boolean>();
  binValues = 0;
  readonly auxFrom = new Map<NodeId, boolean>();
  auxSent = false;
}

export class BinaryAgreement {
  readonly params: Params;
  readonly me: NodeId;
  readonly #coin: Coin;
  #epoch = 0;
  #state = new EpochState();
  #estimate: boolean | undefined;
  #decision: boolean | undefined;
  /** TERM per sender, kept across epochs. */
  readonly #term = new Map<NodeId, boolean>();
  /**
   * Messages for later epochs, replayed when we get there. Unbounded: an honest node may
   * legitimately run many epochs ahead of a slow one (2f+1 nodes can advance without it).
   * A byzantine flood is bounded by the transport's per-peer rate limits, not here.
   */
  #future: Array<{ from: NodeId; message: BaMessage }> = [];

  constructor(params: Params, me: NodeId, coin: Coin) {
    if (!isNode(params, me)) throw new RangeError('node index out of range');
    this.params = params;
    this.me = me;
    this.#coin = coin;
  }

  get epoch(): number {
    return this.#epoch;
  }
  get decision(): boolean | undefined {
    return this.#decision;
  }
  /** Decided and stopped: further messages are ignored (our TERM speaks for us). */
  get terminated(): boolean {
    return this.#decision !== undefined;
  }
  /** Input is possible until we have an estimate (ours, or one adopted from others). */
  acceptsInput(): boolean {
    return this.#epoch === 0 && this.#estimate === undefined && this.#decision === undefined;
  }

  input(value: boolean): BaStep {
    const step: BaStep = emptyStep();
    if (!this.acceptsInput()) return step;
    this.#estimate = value;
    if (this.params.n === 1) {
      // Alone, every quorum is just us and the epochs would only wait for the coin to agree.
      this.#decide(step, value);
      return step;
    }
    this.#sendBval(step, value);
    this.#progress(step);
    return step;
  }

  handle(from: NodeId, message: BaMessage): BaStep {
    const step: BaStep = emptyStep();
    // Our own messages are applied when sent; a copy looped back must not count twice.
    if (!isNode(this.params, from) || from === this.me || this.terminated) return step;
    if (!wellFormed(message)) {
      step.faults.push({ node: from, reason: 'ba: malformed message' });
      return step;
    }
    if (message.t === 'term') {
      this.#onTerm(step, from, message.value);
    } else if (message.epoch > this.#epoch) {
      this.#future.push({ from, message });
      return step;
    } else if (message.epoch === this.#epoch) {
      this.#record(step, from, message);
    } // else: an old epoch, obsolete
    this.#progress(step);
    return step;
  }

  #onTerm(step: BaStep, from: NodeId, value: boolean): void {
    const previous = this.#term.get(from);
    if (previous !== undefined) {
      if (previous !== value) step.faults.push({ node: from, reason: 'ba: two different TERMs' });
      return;
    }
    this.#term.set(from, value);
    let count = 0;
    for (const v of this.#term.values()) if (v === value) count++;
    if (count >= this.params.f + 1) this.#decide(step, value);
  }

  #record(step: BaStep, from: NodeId, message: Exclude<BaMessage, { t: 'term' }>): void {
    const s = this.#state;
    switch (message.t) {
      case 'bval':
        // An honest node may send both BVAL(0) and BVAL(1) in one epoch (its own, then a relay).
        s.bvalFrom[message.value ? 1 : 0].add(from);
        return;
      case 'aux': {
        const previous = s.auxFrom.get(from);
        if (previous === undefined) s.auxFrom.set(from, message.value);
        else if (previous !== message.value) step.faults.push({ node: from, reason: 'ba: two different AUXs in one epoch' });
        return;
      }
    }
  }

  /** Re-evaluate every threshold until nothing changes (messages can satisfy several). */
  #progress(step: BaStep): void {
    const { n, f } = this.params;
    for (let changed = true; changed && !this.terminated; ) {
      changed = false;
      const s = this.#state;
      for (const b of [false, true]) {
        const count = this.#bvalCount(b);
        if (count >= f + 1 && !s.sentBval.has(b)) {
          this.#sendBval(step, b);
          changed = true;
        }
        if (this.#bvalCount(b) >= 2 * f + 1 && (s.binValues & bit(b)) === 0) {
          s.binValues |= bit(b);
          if (!s.auxSent) {
            s.auxSent = true;
            s.auxFrom.set(this.me, b);
            step.messages.push({ to: 'all', message: { t: 'aux', epoch: this.#epoch, value: b } });
          }
          changed = true;
        }
      }
      if (s.binValues !== 0) {
        const [count, vals] = this.#auxCount();
        if (count >= n - f) {
          this.#endEpoch(step, vals);
          changed = true;
        }
      }
    }
  }

  #endEpoch(step: BaStep, vals: number): void {
    const coin = this.#coin(this.#epoch);
    let next: boolean;
    if (vals === 3) {
      next = coin;
    } else {
      const b = vals === 2;
      if (b === coin) {
        this.#decide(step, b);
        return;
      }
      next = b;
    }
    this.#epoch++;
    this.#state = new EpochState();
    this.#estimate = next;
    this.#sendBval(step, next);
    const waiting = this.#future;
    this.#future = [];
    for (const item of waiting) {
      const m = item.message as Exclude<BaMessage, { t: 'term' }>;
      if (m.epoch === this.#epoch) this.#record(step, item.from, m);
      else if (m.epoch > this.#epoch) this.#future.push(item);
    }
  }

  #decide(step: BaStep, value: boolean): void {
    if (this.#decision !== undefined) return;
    this.#decision = value;
    this.#term.set(this.me, value);
    this.#future = [];
    step.output = value;
    step.messages.push({ to: 'all', message: { t: 'term', value } });
  }

  #sendBval(step: BaStep, value: boolean): void {
    const s = this.#state;
    if (s.sentBval.has(value)) return;
    s.sentBval.add(value);
    s.bvalFrom[value ? 1 : 0].add(this.me);
    step.messages.push({ to: 'all', message: { t: 'bval', epoch: this.#epoch, value } });
  }

  /** Distinct senders of BVAL(b) this epoch, a TERM(b) standing in for a BVAL(b). */
  #bvalCount(b: boolean): number {
    const senders = this.#state.bvalFrom[b ? 1 : 0];
    let count = senders.size;
    for (const [node, v] of this.#term) if (v === b && !senders.has(node)) count++;
    return count;
  }

  /** Distinct senders whose AUX (or TERM) value is in bin_values, each counted once, and the set of those values. */
  #auxCount(): [number, number] {
    const s = this.#state;
    let count = 0;
    let union = 0;
    for (let node = 0; node < this.params.n; node++) {
      const v = this.#term.get(node) ?? s.auxFrom.get(node);
      if (v !== undefined && (s.binValues & bit(v)) !== 0) {
        count++;
        union |= bit(v);
      }
    }
    return [count, union];
  }
}

function wellFormed(m: BaMessage): boolean {
  if (m === null || typeof m !== 'object') return false;
  const epochOk = (e: unknown): boolean => typeof e === 'number' && Number.isSafeInteger(e) && e >= 0;
  switch (m.t) {
    case 'bval':
    case 'aux':
      return epochOk(m.epoch) && typeof m.value === 'boolean';
    case 'term':
      return typeof m.value === 'boolean';
    default:
      return false;
  }
}
