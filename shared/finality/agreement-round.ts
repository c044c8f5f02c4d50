/**
 * One agreement instance, the same for a cluster's facilitators and for the Galaxies (the
 * structure is self-similar): ACS over the seats' proposals, then each seat signs the hash
 * of the value it built deterministically from the ACS output, and ≥ 2f+1 matching shares
 * make the certificate. Pure: messages in (already authenticated, share signatures already
 * verified by the caller), messages out.
 *
 * Safety: honest seats build the same value from the same ACS output, so at most one hash
 * can gather 2f+1 shares (any two quorums share an honest seat, and an honest seat signs
 * one hash per instance).
 *
 * Shares are counted once per seat: the first share a seat sends is the one that counts,
 * and a second share with another hash is reported as a fault. Shares that arrive before
 * we decide are kept and counted once our own hash is known.
 */
import { bytesEqual } from '../codec/cbor.ts';
import { seededCoin } from '../consensus/coin.ts';
import { CommonSubset, type Contribution } from '../consensus/subset.ts';
import { isNode, paramsFor, type Fault, type Params } from '../consensus/types.ts';
import { quorumSize } from '../consensus/types.ts';
import type { RoundMessage } from './wire.ts';

export interface RoundStep {
  messages: Array<{ to: number | 'all'; message: RoundMessage }>;
  /** ACS output, once: build the value, sign its hash, call `decide` */
  decided?: Contribution[];
  /** once ≥ 2f+1 valid shares on our own decided hash are in */
  certified?: { hash: Uint8Array; sigs: Array<{ signer: number; sig: Uint8Array }> };
  faults: Fault[];
}

export interface AgreementRoundOptions {
  /** seats in order; seat i is ACS node i */
  seats: number;
  me: number;
  /** keys the common coin (seededCoin(seed, instance)); the previous Blackhole hash */
  seed: Uint8Array;
}

const emptyRoundStep = (): RoundStep => ({ messages: [], faults: [] });

export class AgreementRound {
  readonly params: Params;
  readonly me: number;
  readonly #acs: CommonSubset;
  #proposed = false;
  #decided: Contribution[] | undefined;
  /** our own hash and signature, once `decide` was called */
  #own: { hash: Uint8Array; sig: Uint8Array } | undefined;
  /** first share per seat (ours included) */
  readonly #shares = new Map<number, { hash: Uint8Array; sig: Uint8Array }>();
  #certified: RoundStep['certified'];

  constructor(opts: AgreementRoundOptions) {
    this.params = paramsFor(opts.seats);
    if (!isNode(this.params, opts.me)) throw new RangeError(`seat ${opts.me} out of range for ${opts.seats} seats`);
    this.me = opts.me;
    const seed = opts.seed.slice();
    this.#acs = new CommonSubset(this.params, opts.me, (instance) => seededCoin(seed, instance));
  }

  /** the ACS's progress (CommonSubset.progress) */
  progress(): { delivered: number; ones: number } {
    return this.#acs.progress();
  }

  get proposed(): boolean {
    return this.#proposed;
  }

  /** the ACS output, once there is one */
  get decided(): Contribution[] | undefined {
    return this.#decided;
  }

  /** our decided hash, once `decide` was called */
  get decidedHash(): Uint8Array | undefined {
    return this.#own?.hash;
  }

  get certified(): RoundStep['certified'] {
    return this.#certified;
  }

  /** Our ACS proposal; a second call does nothing (an honest seat proposes once). */
  propose(value: Uint8Array): RoundStep {
    const step = emptyRoundStep();
    if (this.#proposed) return step;
    this.#proposed = true;
    this.#absorbAcs(step, this.#acs.propose(value));
    return step;
  }

  /** `from` is an authenticated seat; a share's signature was verified by the caller. */
  handle(from: number, message: RoundMessage): RoundStep {
    const step = emptyRoundStep();
    if (!isNode(this.params, from)) return step;
    if (message === null || typeof message !== 'object') {
      step.faults.push({ node: from, reason: 'round: malformed message' });
      return step;
    }
    if (message.t === 'acs') {
      this.#absorbAcs(step, this.#acs.handle(from, message.m));
    } else if (message.t === 'share') {
      // Our own share is recorded by `decide`; a copy looped back is not a second vote.
      if (from !== this.me) this.#onShare(step, from, message.hash, message.sig);
    } else {
      step.faults.push({ node: from, reason: 'round: unknown message' });
    }
    return step;
  }

  /** Our hash of the decided value and our signature on it: broadcast as a share. Once. */
  decide(hash: Uint8Array, sig: Uint8Array): RoundStep {
    const step = emptyRoundStep();
    if (this.#own !== undefined) return step;
    this.#own = { hash: hash.slice(), sig: sig.slice() };
    this.#shares.set(this.me, this.#own);
    for (const [seat, share] of this.#shares) {
      if (seat !== this.me && !bytesEqual(share.hash, this.#own.hash)) {
        step.faults.push({ node: seat, reason: 'round: share on a hash other than the decided one' });
      }
    }
    step.messages.push({ to: 'all', message: { t: 'share', hash: this.#own.hash, sig: this.#own.sig } });
    this.#tryCertify(step);
    return step;
  }

  #absorbAcs(step: RoundStep, inner: ReturnType<CommonSubset['handle']>): void {
    for (const { to, message } of inner.messages) step.messages.push({ to, message: { t: 'acs', m: message } });
    step.faults.push(...inner.faults);
    if (inner.output !== undefined && this.#decided === undefined) {
      this.#decided = inner.output;
      step.decided = inner.output;
    }
  }

  #onShare(step: RoundStep, from: number, hash: unknown, sig: unknown): void {
    if (!(hash instanceof Uint8Array) || !(sig instanceof Uint8Array)) {
      step.faults.push({ node: from, reason: 'round: malformed share' });
      return;
    }
    const previous = this.#shares.get(from);
    if (previous !== undefined) {
      if (!bytesEqual(previous.hash, hash)) step.faults.push({ node: from, reason: 'round: shares on two different hashes' });
      return;
    }
    this.#shares.set(from, { hash: hash.slice(), sig: sig.slice() });
    if (this.#own !== undefined && !bytesEqual(hash, this.#own.hash)) {
      // Honest seats build the same value: a share on another hash is a faulty seat's.
      step.faults.push({ node: from, reason: 'round: share on a hash other than the decided one' });
    }
    this.#tryCertify(step);
  }

  #tryCertify(step: RoundStep): void {
    if (this.#certified !== undefined || this.#own === undefined) return;
    const own = this.#own.hash;
    const sigs = [...this.#shares]
      .filter(([, s]) => bytesEqual(s.hash, own))
      .map(([signer, s]) => ({ signer, sig: s.sig }))
      .sort((a, b) => a.signer - b.signer);
    if (sigs.length < quorumSize(this.params.n)) return;
    this.#certified = { hash: own, sigs };
    step.certified = this.#certified;
  }
}
