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
 */
import type { Contribution } from '../consensus/subset.ts';
import type { Fault } from '../consensus/types.ts';
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

export class AgreementRound {
  constructor(opts: AgreementRoundOptions) {
    throw new Error('not implemented');
  }

  get proposed(): boolean {
    throw new Error('not implemented');
  }

  propose(value: Uint8Array): RoundStep {
    throw new Error('not implemented');
  }

  /** `from` is an authenticated seat; a share's signature was verified by the caller. */
  handle(from: number, message: RoundMessage): RoundStep {
    throw new Error('not implemented');
  }

  /** Our hash of the decided value and our signature on it: broadcast as a share. */
  decide(hash: Uint8Array, sig: Uint8Array): RoundStep {
    throw new Error('not implemented');
  }
}
