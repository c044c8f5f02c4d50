/**
 * Binary SHA-256 Merkle trees over 32-byte leaves (half-block hashes, checkpoint hashes,
 * account states), with inclusion proofs a light client checks by itself.
 * Leaves and inner nodes are domain-separated (0x00 ‖ leaf, 0x01 ‖ left ‖ right), so a
 * proof for an inner node can never pass as a leaf. An odd node is promoted unchanged to
 * the next level. The root of no leaves is sha256(0x02).
 *
 * Leaves of any length are accepted (account-state leaves are the state's bytes, so a
 * proof shows the state itself); the domain byte keeps them apart from inner nodes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual } from '../codec/cbor.ts';

export interface MerkleProof {
  /** the leaf's position and the tree's leaf count */
  index: number;
  count: number;
  /** sibling hashes from the leaf level up (promoted levels have none) */
  siblings: Uint8Array[];
}

const LEAF = 0x00;
const INNER = 0x01;
const EMPTY = 0x02;
const NODE_BYTES = 32;
/** a tree deeper than this has more leaves than anything we would ever hash */
export const MAX_MERKLE_DEPTH = 48;
export const MAX_MERKLE_COUNT = 2 ** MAX_MERKLE_DEPTH;

export const EMPTY_MERKLE_ROOT: Uint8Array = sha256(Uint8Array.of(EMPTY));

export function leafHash(leaf: Uint8Array): Uint8Array {
  const data = new Uint8Array(1 + leaf.length);
  data[0] = LEAF;
  data.set(leaf, 1);
  return sha256(data);
}

export function innerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const data = new Uint8Array(1 + left.length + right.length);
  data[0] = INNER;
  data.set(left, 1);
  data.set(right, 1 + left.length);
  return sha256(data);
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    up.push(i + 1 < level.length ? innerHash(level[i]!, level[i + 1]!) : level[i]!);
  }
  return up;
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_MERKLE_ROOT.slice();
  let level = leaves.map(leafHash);
  while (level.length > 1) level = nextLevel(level);
  return level[0]!;
}

export function merkleProof(leaves: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf index ${index} out of range`);
  const siblings: Uint8Array[] = [];
  let level = leaves.map(leafHash);
  let i = index;
  while (level.length > 1) {
    const sibling = i ^ 1;
    if (sibling < level.length) siblings.push(level[sibling]!);
    level = nextLevel(level);
    i >>= 1;
  }
  return { index, count: leaves.length, siblings };
}

/** Never throws: a malformed proof (bad index/count, wrong sibling count or size) is false. */
export function verifyMerkleProof(leaf: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  const { index, count, siblings } = proof;
  if (!(leaf instanceof Uint8Array) || !(root instanceof Uint8Array) || !Array.isArray(siblings)) return false;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_MERKLE_COUNT) return false;
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) return false;
  let node = leafHash(leaf);
  let i = index;
  let width = count;
  let used = 0;
  while (width > 1) {
    // Arithmetic, not bit operators: counts may exceed 2^31.
    const isRight = i % 2 === 1;
    if (isRight || i + 1 < width) {
      const sibling = siblings[used++];
      if (!(sibling instanceof Uint8Array) || sibling.length !== NODE_BYTES) return false;
      node = isRight ? innerHash(sibling, node) : innerHash(node, sibling);
    }
    i = Math.floor(i / 2);
    width = Math.ceil(width / 2);
  }
  return used === siblings.length && bytesEqual(node, root);
}
