/**
 * One Galaxy, pure: it takes certified checkpoints and presence, agrees with the other
 * Galaxies on each Blackhole block (AgreementRound, the same core the facilitators run),
 * applies the checkpoints' half-blocks to its final ledger deterministically (accepted,
 * deferred when history is missing, rejected for good: double spends against final blocks,
 * overspends, agreements to rejected proposals, blocks after a rejected one) and signs.
 *
 * Galaxy proposal for height h: the valid certs it holds for round h (one per cluster),
 * the roster it saw (fresh presence), its clock. The block is built from the ACS output:
 * the first valid cert per cluster (by proposer seat), roster = keys in ≥ f+1 proposals,
 * time = median. It proposes as soon as it holds a cert for every cluster, or another
 * Galaxy proposed, or `roundTimeoutMs` passed (an empty round moves the seed on, so a round
 * whose facilitators sleep is retried with others).
 *
 * Signatures: `verify` is synchronous (noble in Node), used for the few signatures per
 * round (checkpoint certs, shares); the caller authenticates envelopes.
 */
import type { VerifyItem } from '../crypto/ed25519.ts';
import type { Fault } from '../consensus/types.ts';
import type { BlackholeBlock, FinalityProof } from './blackhole.ts';
import type { CheckpointCert } from './checkpoint.ts';
import type { Envelope, UnsignedEnvelope } from './wire.ts';

export const ROUND_TIMEOUT_MS = 5_000;
/** with no one to facilitate, a block (carrying the new roster) at most this often */
export const EMPTY_ROSTER_MS = 1_000;

export interface GalaxyOptions {
  network: string;
  galaxies: Uint8Array[];
  me: number;
  balances: ReadonlyMap<string, number>;
  verify(item: VerifyItem): boolean;
  roundTimeoutMs?: number;
  emptyRosterMs?: number;
  facilitatorsPerRound?: number;
  clusterCount?: number;
  presenceTtlMs?: number;
}

/** What a Galaxy stores per height: the block and the certs whose blocks it applied. */
export interface StoredBlackhole {
  block: BlackholeBlock;
  certs: CheckpointCert[];
}

export interface AccountState {
  seq: number;
  head: Uint8Array;
  balance: number;
  blocked: boolean;
}

export interface GalaxyOutputs {
  /** sign (envelopeSigningBytes) with the Galaxy key and publish on GALAXY_TOPIC */
  send: UnsignedEnvelope[];
  /** sign blackholeSigningBytes(hash), then call `signedBlock` */
  signBlock?: { height: number; hash: Uint8Array };
  /** newly complete blocks: persist each, then publish `block` on BLACKHOLE_TOPIC */
  blocks: StoredBlackhole[];
  /** certs this Galaxy refused, with why (metrics, logs) */
  refused: Array<{ reason: string }>;
  /** another Galaxy is ahead: fetch stored blocks from this height from a peer */
  fetchFrom?: number;
  faults: Fault[];
}

export class GalaxyCore {
  /** `stored`: this Galaxy's persisted chain (heights 1..), replayed on start. */
  constructor(opts: GalaxyOptions, stored: readonly StoredBlackhole[] = []) {
    throw new Error('not implemented');
  }

  get head(): BlackholeBlock {
    throw new Error('not implemented');
  }

  get height(): number {
    throw new Error('not implemented');
  }

  block(height: number): StoredBlackhole | undefined {
    throw new Error('not implemented');
  }

  account(pk: Uint8Array): AccountState | undefined {
    throw new Error('not implemented');
  }

  proof(halfBlockHashHex: string): FinalityProof | undefined {
    throw new Error('not implemented');
  }

  /** A checkpoint certificate from gossip (its facilitator signatures are checked here). */
  onCheckpoint(cert: CheckpointCert, now: number): GalaxyOutputs {
    throw new Error('not implemented');
  }

  /** A Star's fresh presence (its signature checked by the caller). */
  onPresence(pk: Uint8Array, cluster: number, now: number): void {
    throw new Error('not implemented');
  }

  /** An authenticated envelope from the Galaxy at seat `from` (its signature checked by the caller). */
  onEnvelope(env: Envelope, now: number): GalaxyOutputs {
    throw new Error('not implemented');
  }

  signedBlock(height: number, sig: Uint8Array, now: number): GalaxyOutputs {
    throw new Error('not implemented');
  }

  /** Stored blocks fetched from a peer Galaxy (quorum checked here). */
  catchUp(entries: readonly StoredBlackhole[], now: number): GalaxyOutputs {
    throw new Error('not implemented');
  }

  tick(now: number): GalaxyOutputs {
    throw new Error('not implemented');
  }
}

/** Encoding of StoredBlackhole for the Galaxy's database and its peers' catch-up. */
export function encodeStoredBlackhole(s: StoredBlackhole): Uint8Array {
  throw new Error('not implemented');
}

export function decodeStoredBlackhole(bytes: Uint8Array): import('../chain/half-block.ts').Decoded<StoredBlackhole> {
  throw new Error('not implemented');
}
