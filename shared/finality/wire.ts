/**
 * Gossip messages of the agreement layers. Facilitators of a round and the Galaxies run the
 * same protocol (ACS, then signature shares on the decided value's hash), so one signed
 * envelope carries both: `kind` says which, `instance` is the round (facilitators) or the
 * Blackhole height (Galaxies). One envelope carries every message a step produced, so one
 * signature covers them. The sender is authenticated by the envelope signature and must hold
 * a seat in that instance; the receiver's adapter checks both before the core sees it.
 */
import type { Decoded } from '../chain/half-block.ts';
import type { AcsMessage } from '../consensus/subset.ts';

/** facilitator ACS traffic and checkpoint signature shares */
export const ROUND_TOPIC = '/starweave/round/1';
/** complete checkpoint certificates, up to the Galaxies */
export const CHECKPOINT_TOPIC = '/starweave/checkpoint/1';
/** Galaxy ACS traffic and Blackhole signature shares */
export const GALAXY_TOPIC = '/starweave/galaxy/1';
/** quorum-signed Blackhole blocks, down to every Star */
export const BLACKHOLE_TOPIC = '/starweave/blackhole/1';

export const MAX_ENVELOPE_BYTES = 1024 * 1024;
export const MAX_ENVELOPE_ITEMS = 256;

export type RoundMessage =
  | { t: 'acs'; m: AcsMessage }
  /** a seat's signature on the decided value's hash (checkpoint or Blackhole header) */
  | { t: 'share'; hash: Uint8Array; sig: Uint8Array };

export interface UnsignedEnvelope {
  kind: 'round' | 'galaxy';
  instance: number;
  cluster: number;
  /** sender's public key (account key for facilitators, Galaxy key for Galaxies) */
  from: Uint8Array;
  /** to: seat index, or -1 for every seat */
  items: Array<{ to: number; m: RoundMessage }>;
}

export interface Envelope extends UnsignedEnvelope {
  sig: Uint8Array;
}

export function envelopeSigningBytes(e: UnsignedEnvelope): Uint8Array {
  throw new Error('not implemented');
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  throw new Error('not implemented');
}

/** Shape and limits only (every ACS message checked); the caller verifies `sig` and the seat. */
export function decodeEnvelope(bytes: Uint8Array): Decoded<Envelope> {
  throw new Error('not implemented');
}
