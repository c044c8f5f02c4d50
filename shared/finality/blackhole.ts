/**
 * The Blackhole chain: one block per round, signed by a quorum of Galaxies. Block h
 * finalises round h: the checkpoints it orders, the half-blocks the Galaxy accepted from
 * them (`finalRoot`), the account state after them, and what round h+1 runs on (cluster
 * count, seed, roster of Stars eligible as facilitators). Block 0 is derived from the
 * genesis file by everyone and carries no signatures.
 */
import type { VerifyItem } from '../crypto/ed25519.ts';
import type { Decoded } from '../chain/half-block.ts';
import type { Checkpoint } from './checkpoint.ts';
import type { MerkleProof } from './merkle.ts';

export const MAX_BLACKHOLE_BYTES = 1024 * 1024;
export const MAX_ROSTER = 1024;

export interface BlackholeHeader {
  network: string;
  height: number;
  /** hash of block height-1 (ZERO_HASH at 0) */
  prev: Uint8Array;
  /** ms since epoch, agreed (median of the Galaxies' proposals) */
  time: number;
  /** Merkle root of the checkpoint hashes in body order */
  checkpointsRoot: Uint8Array;
  /** Merkle root of the accepted half-block hashes in body order */
  finalRoot: Uint8Array;
  /** Merkle root of the account states after this block (see galaxy-core accountLeaf) */
  stateRoot: Uint8Array;
  /** digest of the reputation table; uniform weights for now */
  reputationDigest: Uint8Array;
  /** clusters in round height+1 (1 until clusters split) */
  clusterCount: number;
  /** seed of round height+1: keys the coin and facilitator selection */
  seed: Uint8Array;
  /** Merkle root of the roster */
  rosterRoot: Uint8Array;
}

export interface BlackholeBody {
  checkpoints: Checkpoint[];
  /** accepted (now final) half-block hashes */
  accepted: Uint8Array[];
  /** half-blocks a checkpoint carried that the ledger rules refused for good */
  rejected: Uint8Array[];
  /** public keys eligible as facilitators in round height+1, sorted */
  roster: Uint8Array[];
}

export interface BlackholeBlock {
  header: BlackholeHeader;
  body: BlackholeBody;
  /** signer = the Galaxy's index in the genesis file's galaxy list */
  sigs: Array<{ signer: number; sig: Uint8Array }>;
}

export function blackholeHash(header: BlackholeHeader): Uint8Array {
  throw new Error('not implemented');
}

export function blackholeSigningBytes(hash: Uint8Array): Uint8Array {
  throw new Error('not implemented');
}

/** Block 0: from the genesis file's network name, galaxies and balances. */
export function genesisBlackhole(network: string, galaxies: readonly Uint8Array[], balances: ReadonlyMap<string, number>): BlackholeBlock {
  throw new Error('not implemented');
}

export function encodeBlackhole(block: BlackholeBlock): Uint8Array {
  throw new Error('not implemented');
}

/** Shape, limits, and that the body matches the header's roots; signatures are checked apart. */
export function decodeBlackhole(bytes: Uint8Array): Decoded<BlackholeBlock> {
  throw new Error('not implemented');
}

export function quorumVerifyItems(block: BlackholeBlock, galaxies: readonly Uint8Array[]): VerifyItem[] {
  throw new Error('not implemented');
}

/** ≥ quorumSize(galaxies.length) distinct valid Galaxy signatures. */
export function hasGalaxyQuorum(block: BlackholeBlock, galaxies: readonly Uint8Array[], verdicts: readonly boolean[]): boolean {
  throw new Error('not implemented');
}

/** A half-block's finality: the signed header and the path from its hash to `finalRoot`. */
export interface FinalityProof {
  header: BlackholeHeader;
  sigs: BlackholeBlock['sigs'];
  leaf: Uint8Array;
  proof: MerkleProof;
}

export function finalityProofFor(block: BlackholeBlock, halfBlockHash: Uint8Array): FinalityProof | undefined {
  throw new Error('not implemented');
}

export function encodeFinalityProof(p: FinalityProof): Uint8Array {
  throw new Error('not implemented');
}

export function decodeFinalityProof(bytes: Uint8Array): Decoded<FinalityProof> {
  throw new Error('not implemented');
}

/** Path and quorum (`verdicts` aligned with quorumVerifyItems of a block with this header and sigs). */
export function verifyFinalityProof(p: FinalityProof, galaxies: readonly Uint8Array[], verdicts: readonly boolean[]): boolean {
  throw new Error('not implemented');
}
