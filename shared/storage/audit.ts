/**
 * Proof of data possession: auditors draw (key, segment) challenges from the round seed, a
 * holder answers with the segment and its Merkle path against the segment root the owner
 * signed, and the auditor's log tallies passes, failures and late answers for reputation.
 * OWNER: helper H2 — contract below is fixed, bodies to be written.
 */
import type { MerkleProof } from '../finality/merkle.ts';
import type { MemberId, SignedRecord, StorageKey } from './types.ts';

export interface AuditChallenge {
  holder: MemberId;
  key: StorageKey;
  /** recordDigest of the version challenged */
  digest: string;
  segment: number;
}

export interface AuditAnswer {
  segment: Uint8Array;
  proof: MerkleProof;
}

export type AuditOutcome = 'passed' | 'failed' | 'late';

/**
 * Deterministic from (seed, auditor): `count` challenges over the candidate (holder, record)
 * pairs the auditor knows, each naming a segment index inside that record's value. Tombstones
 * are never challenged.
 */
export function pickChallenges(seed: Uint8Array, auditor: MemberId, candidates: readonly { holder: MemberId; record: SignedRecord }[], count: number): AuditChallenge[] {
  throw new Error('not yet');
}
/** the holder's answer, or null when it does not hold that version or segment */
export function answerChallenge(record: SignedRecord, segment: number): AuditAnswer | null {
  throw new Error('not yet');
}
/** does the answer prove segment `segment` of `record` (checked against record.segmentsRoot)? */
export function checkAuditAnswer(record: SignedRecord, segment: number, answer: AuditAnswer): boolean {
  throw new Error('not yet');
}

export interface AuditTally {
  passed: number;
  failed: number;
  late: number;
}

/** outcomes per holder, as reputation will read them */
export class AuditLog {
  note(holder: MemberId, outcome: AuditOutcome): void {
    throw new Error('not yet');
  }
  tally(holder: MemberId): AuditTally {
    throw new Error('not yet');
  }
  holders(): MemberId[] {
    throw new Error('not yet');
  }
}
