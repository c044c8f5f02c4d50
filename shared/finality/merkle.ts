/**
 * Binary SHA-256 Merkle trees over 32-byte leaves (half-block hashes, checkpoint hashes,
 * account states), with inclusion proofs a light client checks by itself.
 * Leaves and inner nodes are domain-separated (0x00 ‖ leaf, 0x01 ‖ left ‖ right), so a
 * proof for an inner node can never pass as a leaf. An odd node is promoted unchanged to
 * the next level. The root of no leaves is sha256(0x02).
 */
export interface MerkleProof {
  /** the leaf's position and the tree's leaf count */
  index: number;
  count: number;
  /** sibling hashes from the leaf level up (promoted levels have none) */
  siblings: Uint8Array[];
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  throw new Error('not implemented');
}

export function merkleProof(leaves: readonly Uint8Array[], index: number): MerkleProof {
  throw new Error('not implemented');
}

export function verifyMerkleProof(leaf: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  throw new Error('not implemented');
}
