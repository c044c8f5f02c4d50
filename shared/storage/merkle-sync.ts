/**
 * Merkle-tree anti-entropy: two replicas compare hash trees over the keys of a ring range
 * they share, walk down only where hashes differ, and end with exactly the keys whose version
 * sets differ. OWNER: helper H1 — contract below is fixed, bodies to be written.
 *
 * The tree is a fixed-shape binary tree over 2^depth buckets of the ring range [from, to)
 * (wrapping past 2^48 allowed), so two replicas' trees line up node by node without sending
 * key lists first. A bucket's hash covers its keys' (keyId, versionsDigest) in keyId order.
 */
export interface SyncEntry {
  keyId: string;
  /** ring position of the key (keyPosition) */
  position: number;
  /** hash of the key's current version set (sorted record digests), hex */
  versions: string;
}

export interface RingRange {
  from: number;
  to: number;
}

export const DEFAULT_SYNC_DEPTH = 10;

export class SyncTree {
  constructor(range: RingRange, entries: Iterable<SyncEntry>, depth?: number) {
    throw new Error('not yet');
  }
  get depth(): number {
    throw new Error('not yet');
  }
  /** the 2^level node hashes of one level (level 0 = the root) */
  level(level: number): Uint8Array[] {
    throw new Error('not yet');
  }
  /** one node's hash: level, index within the level */
  node(level: number, index: number): Uint8Array {
    throw new Error('not yet');
  }
  /** the entries of bucket `index` (leaf level) */
  bucket(index: number): SyncEntry[] {
    throw new Error('not yet');
  }
}

/** indices (in `level`) of children whose hashes differ, given both sides' hashes at that level restricted to `parents` that differed */
export function differingNodes(mine: readonly Uint8Array[], theirs: readonly Uint8Array[]): number[] {
  throw new Error('not yet');
}

/** compare two buckets' entries: keys only I have, only they have, and with different versions */
export function diffEntries(mine: readonly SyncEntry[], theirs: readonly SyncEntry[]): { onlyMine: string[]; onlyTheirs: string[]; differing: string[] } {
  throw new Error('not yet');
}
