/**
 * Bracha reliable broadcast of one proposer's value (one instance per proposer per round),
 * with ECHOs that carry the value's digest, not the value.
 *
 * Guarantees with at most f Byzantine nodes among n ≥ 3f + 1:
 * - validity: if the proposer is honest, every honest node delivers its value;
 * - agreement: if one honest node delivers v, every honest node eventually delivers v
 *   (an equivocating proposer can cause "nothing delivered", never two different values);
 * - integrity: a node delivers at most once.
 *
 * Message flow: the proposer sends VAL(v) to every node; on the proposer's VAL each node
 * sends ECHO(digest) once; on n−f ECHOs with one digest a node sends READY(digest); on f+1
 * READYs it also sends READY (amplification: at least one honest node saw n−f echoes, so
 * joining cannot create a second value); on 2f+1 READYs, with the value known, it delivers.
 *
 * Fast path: a node that holds ECHOs for one digest from all n nodes delivers at once, a
 * message delay before the READYs would arrive. That is safe: all n include every honest
 * node, and an honest node echoes once, so no honest node echoes another digest; another
 * digest then gets at most f ECHOs, fewer than the n−f a READY needs (and f+1 READYs need
 * an honest READY first), so it can never gather 2f+1 READYs (agreement). Every honest node
 * echoed this digest, so each holds its value and sees at least n−f ECHOs for it, sends
 * READY, and delivers on the 2f+1 READYs that follow (totality). With every seat timely this
 * is the common case, and every proposal's agreement starts one hop sooner; with a slow or
 * silent node the READY path delivers as before.
 *
 * Why digests: plain Bracha echoes the whole value, n² copies of it per instance. A seat's
 * proposal under load is tens of kB, and the round's ECHOs were most of the bytes the tabs
 * sent. With digests the value travels once per node, in VAL.
 *
 * What the value in ECHO was for: a node that never got the proposer's VAL with the digest
 * that wins (the proposer equivocated, or withheld it from this node) still learns the value.
 * Here such a node, once 2f+1 READYs name a digest it has no value for, broadcasts WANT(digest),
 * and every node holding that value answers VALUE(v); the node takes a VALUE only if it hashes
 * to the digest it wants. Those 2f+1 READYs trace back to n−f ECHOs seen by an honest node, so
 * at least f+1 honest nodes echoed it, and an honest node echoes only a value it holds: the
 * answer comes. This costs two extra message delays, only when the proposer misbehaved.
 * HoneyBadgerBFT instead echoes Reed–Solomon shards with Merkle proofs, which would also
 * spread the proposer's own upload; that is a later optimisation with the same thresholds.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { emptyStep, isNode, type NodeId, type Params, type Step } from './types.ts';

export type RbcMessage =
  | { t: 'val'; value: Uint8Array }
  | { t: 'echo'; digest: Uint8Array }
  | { t: 'ready'; digest: Uint8Array }
  /** 2f+1 READYs name this digest and we have no value for it: whoever holds it, send it */
  | { t: 'want'; digest: Uint8Array }
  /** the value asked for by a WANT */
  | { t: 'value'; value: Uint8Array };

export type RbcStep = Step<RbcMessage, Uint8Array>;

const DIGEST_BYTES = 32;

export class ReliableBroadcast {
  readonly params: Params;
  readonly me: NodeId;
  readonly proposer: NodeId;

  /** Digest (hex) of the VAL we accepted from the proposer; a different second VAL is a fault. */
  #valDigest: string | undefined;
  /** Per sender, the digest it echoed / declared ready for: each sender counts once per kind. */
  readonly #echoFrom = new Map<NodeId, string>();
  readonly #readyFrom = new Map<NodeId, string>();
  readonly #echoCount = new Map<string, number>();
  readonly #readyCount = new Map<string, number>();
  /** Values by digest: the proposer's VAL, and a VALUE that answered our WANT (at most two). */
  readonly #values = new Map<string, Uint8Array>();
  #echoSent = false;
  #readySent = false;
  /** the digest we sent WANT for */
  #wanted: string | undefined;
  /** nodes whose WANT we answered (each once) */
  readonly #answered = new Set<NodeId>();
  #delivered: Uint8Array | undefined;

  constructor(params: Params, me: NodeId, proposer: NodeId) {
    if (!isNode(params, me) || !isNode(params, proposer)) throw new RangeError('node index out of range');
    this.params = params;
    this.me = me;
    this.proposer = proposer;
  }

  /** The delivered value, once there is one. */
  get delivered(): Uint8Array | undefined {
    return this.#delivered;
  }

  /** Start the broadcast; only the proposer may call this, and only once. */
  propose(value: Uint8Array): RbcStep {
    if (this.me !== this.proposer) throw new Error(`node ${this.me} is not the proposer of this broadcast`);
    if (this.#valDigest !== undefined) throw new Error('already proposed');
    const step: RbcStep = emptyStep();
    this.#send(step, 'all', { t: 'val', value });
    return step;
  }

  /** Handle a message from peer `from`. Never throws on peer input: bad input becomes a fault. */
  handle(from: NodeId, message: RbcMessage): RbcStep {
    const step: RbcStep = emptyStep();
    if (!isNode(this.params, from)) return step;
    this.#receive(step, from, message);
    return step;
  }

  /** Queue a message for others and apply it to ourselves (we are one of the n voters). */
  #send(step: RbcStep, to: NodeId | 'all', message: RbcMessage): void {
    step.messages.push({ to, message });
    if (to === 'all' || to === this.me) this.#receive(step, this.me, message);
  }

  #receive(step: RbcStep, from: NodeId, message: RbcMessage): void {
    switch (message?.t) {
      case 'val':
        return this.#onVal(step, from, message.value);
      case 'echo':
        return this.#onEcho(step, from, message.digest);
      case 'ready':
        return this.#onReady(step, from, message.digest);
      case 'want':
        return this.#onWant(step, from, message.digest);
      case 'value':
        return this.#onValue(step, from, message.value);
      default:
        step.faults.push({ node: from, reason: 'rbc: malformed message' });
    }
  }

  #onVal(step: RbcStep, from: NodeId, value: unknown): void {
    if (from !== this.proposer) {
      step.faults.push({ node: from, reason: 'rbc: VAL from a node that is not the proposer' });
      return;
    }
    if (!(value instanceof Uint8Array)) {
      step.faults.push({ node: from, reason: 'rbc: VAL without a byte value' });
      return;
    }
    const digest = digestHex(value);
    if (this.#valDigest !== undefined) {
      if (this.#valDigest !== digest) step.faults.push({ node: from, reason: 'rbc: proposer sent two different VALs' });
      return;
    }
    this.#valDigest = digest;
    this.#values.set(digest, value);
    if (!this.#echoSent) {
      this.#echoSent = true;
      this.#send(step, 'all', { t: 'echo', digest: hexToBytes(digest) });
    }
    this.#tryDeliver(step);
  }

  #onEcho(step: RbcStep, from: NodeId, digest: unknown): void {
    const hex = this.#digestOf(step, from, digest, 'ECHO');
    if (hex === undefined || !this.#countOnce(step, from, hex, this.#echoFrom, this.#echoCount, 'ECHO')) return;
    if ((this.#echoCount.get(hex) ?? 0) >= this.params.n - this.params.f) this.#sendReady(step, hex);
    this.#tryDeliver(step);
  }

  /** Answers once per node, and only with a value we hold. */
  #onWant(step: RbcStep, from: NodeId, digest: unknown): void {
    const hex = this.#digestOf(step, from, digest, 'WANT');
    if (hex === undefined || from === this.me || this.#answered.has(from)) return;
    const value = this.#values.get(hex);
    if (value === undefined) return;
    this.#answered.add(from);
    step.messages.push({ to: from, message: { t: 'value', value } });
  }

  /** Taken only when it is the value we asked for: its digest is what 2f+1 READYs named. */
  #onValue(step: RbcStep, from: NodeId, value: unknown): void {
    if (!(value instanceof Uint8Array)) {
      step.faults.push({ node: from, reason: 'rbc: VALUE without a byte value' });
      return;
    }
    if (this.#wanted === undefined || this.#delivered !== undefined || digestHex(value) !== this.#wanted) return;
    this.#values.set(this.#wanted, value);
    this.#tryDeliver(step);
  }

  #onReady(step: RbcStep, from: NodeId, digest: unknown): void {
    const hex = this.#digestOf(step, from, digest, 'READY');
    if (hex === undefined) return;
    if (!this.#countOnce(step, from, hex, this.#readyFrom, this.#readyCount, 'READY')) return;
    // f+1 READYs include an honest one, so this digest is the only one that can be delivered.
    if ((this.#readyCount.get(hex) ?? 0) >= this.params.f + 1) this.#sendReady(step, hex);
    this.#tryDeliver(step);
  }

  /**
   * Record `from`'s vote for `digest`; false when it must not count: a repeat of the same
   * vote (a retransmission, harmless) or a second, different vote (equivocation, a fault).
   */
  #countOnce(
    step: RbcStep,
    from: NodeId,
    digest: string,
    votes: Map<NodeId, string>,
    counts: Map<string, number>,
    kind: string,
  ): boolean {
    const previous = votes.get(from);
    if (previous !== undefined) {
      if (previous !== digest) step.faults.push({ node: from, reason: `rbc: two different ${kind}s` });
      return false;
    }
    votes.set(from, digest);
    counts.set(digest, (counts.get(digest) ?? 0) + 1);
    return true;
  }

  /** A 32-byte digest as hex, or a fault. */
  #digestOf(step: RbcStep, from: NodeId, digest: unknown, kind: string): string | undefined {
    if (digest instanceof Uint8Array && digest.length === DIGEST_BYTES) return bytesToHex(digest);
    step.faults.push({ node: from, reason: `rbc: ${kind} without a 32-byte digest` });
    return undefined;
  }

  #sendReady(step: RbcStep, digestHexValue: string): void {
    if (this.#readySent) return;
    this.#readySent = true;
    this.#send(step, 'all', { t: 'ready', digest: hexToBytes(digestHexValue) });
  }

  #tryDeliver(step: RbcStep): void {
    if (this.#delivered !== undefined) return;
    for (const [digest, count] of this.#echoCount) {
      // the fast path (file header): all n echoed it, ourselves included, so we hold it
      const value = count >= this.params.n ? this.#values.get(digest) : undefined;
      if (value === undefined) continue;
      this.#delivered = value;
      step.output = value;
      return;
    }
    for (const [digest, count] of this.#readyCount) {
      if (count < 2 * this.params.f + 1) continue;
      const value = this.#values.get(digest);
      if (value === undefined) {
        // 2f+1 READYs trace back to n−f ECHOs seen by an honest node: at least f+1 honest
        // nodes echoed this digest, so they hold its value and answer a WANT
        if (this.#wanted === undefined) {
          this.#wanted = digest;
          step.messages.push({ to: 'all', message: { t: 'want', digest: hexToBytes(digest) } });
        }
        return;
      }
      this.#delivered = value;
      step.output = value;
      return;
    }
  }
}

export function digestHex(value: Uint8Array): string {
  return bytesToHex(sha256(value));
}

