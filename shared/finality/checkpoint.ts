/**
 * A cluster's checkpoint for one round (HyloChain: it names the previous checkpoint of its
 * cluster and the Blackhole block the round started from) and its certificate: the
 * half-blocks it covers and ≥ 2f+1 facilitator signatures on its hash.
 *
 * The checkpoint is the ordered, deduplicated union of the facilitators' ACS proposals
 * (`mergeProposals`). Facilitators only check signatures and conflicts; the ledger rules
 * (sequence, balance, links) are the Galaxy's, applied deterministically to the union.
 */
import type { VerifyItem } from '../crypto/ed25519.ts';
import type { Decoded, HalfBlock } from '../chain/half-block.ts';

/** most half-blocks one facilitator proposes, and so one proposal's size bound */
export const MAX_PROPOSAL_BLOCKS = 512;
/** most half-blocks one checkpoint covers (n proposals, mostly overlapping) */
export const MAX_CHECKPOINT_BLOCKS = 2048;

export interface Checkpoint {
  cluster: number;
  round: number;
  /** hash of the Blackhole block the round started from (height round-1) */
  base: Uint8Array;
  /** hash of this cluster's previous checkpoint, ZERO_HASH if none yet */
  prev: Uint8Array;
  /** half-block hashes, in checkpoint order */
  entries: Uint8Array[];
}

export interface CheckpointCert {
  checkpoint: Checkpoint;
  /** the covered half-blocks' canonical bytes, in `entries` order */
  blocks: Uint8Array[];
  /** signer = seat index in the round's facilitator list */
  sigs: Array<{ signer: number; sig: Uint8Array }>;
}

/** A half-block a facilitator holds, decoded, with its hash. */
export interface CandidateBlock {
  bytes: Uint8Array;
  block: HalfBlock;
  hash: Uint8Array;
}

/** sha256 of the canonical {v, cluster, round, base, prev, entriesRoot, count}. */
export function checkpointHash(c: Checkpoint): Uint8Array {
  throw new Error('not implemented');
}

/** What a facilitator signs: a domain tag ‖ the checkpoint hash. */
export function checkpointSigningBytes(hash: Uint8Array): Uint8Array {
  throw new Error('not implemented');
}

/** 2f+1 for a group of n (n=1..3 → 1..3 with f=0). */
export function quorumSize(n: number): number {
  throw new Error('not implemented');
}

export function encodeProposal(blocks: readonly Uint8Array[]): Uint8Array {
  throw new Error('not implemented');
}

/** A facilitator's ACS value: ≤ MAX_PROPOSAL_BLOCKS half-block encodings (shape only). */
export function decodeProposal(bytes: Uint8Array): Decoded<Uint8Array[]> {
  throw new Error('not implemented');
}

/**
 * The deterministic union of the proposals' signature-valid blocks: one copy per hash;
 * every block of a (pk, seq) that has two different blocks in the union is dropped (a
 * double spend never enters a checkpoint); ordered by (pk hex, seq); at most
 * MAX_CHECKPOINT_BLOCKS.
 */
export function mergeProposals(proposals: readonly (readonly CandidateBlock[])[]): CandidateBlock[] {
  throw new Error('not implemented');
}

export function encodeCheckpointCert(cert: CheckpointCert): Uint8Array {
  throw new Error('not implemented');
}

/** Shape, limits, and that every block hashes to its entry; signatures are checked apart. */
export function decodeCheckpointCert(bytes: Uint8Array): Decoded<CheckpointCert> {
  throw new Error('not implemented');
}

/** The facilitator signatures to verify against the round's facilitator list. */
export function certVerifyItems(cert: CheckpointCert, facilitators: readonly Uint8Array[]): VerifyItem[] {
  throw new Error('not implemented');
}

/** ≥ quorumSize(n) distinct seats with valid signatures (`verdicts` aligned with certVerifyItems). */
export function certHasQuorum(cert: CheckpointCert, facilitators: readonly Uint8Array[], verdicts: readonly boolean[]): boolean {
  throw new Error('not implemented');
}
