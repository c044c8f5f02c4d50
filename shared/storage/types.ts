/**
 * The storage shard protocol's shared vocabulary (Dynamo in the browser; DESIGN.md, "Storage
 * shards" and "Presence and inbox"). Pure types: the cores in this folder (ring, vector
 * clocks, signed records, Merkle anti-entropy, audits, the storage node state machine and its
 * simulator) all speak these, and the worker adapter turns their outputs into libp2p streams
 * and IndexedDB transactions.
 *
 * Who is who:
 * - A **member** of the ring is an account (its Ed25519 public key, hex): placement follows
 *   the account, not the tab's libp2p peer id, so a reload does not move data. The adapter
 *   maps a member to a peer through presence.
 * - A **key** is namespaced by its owner: `(owner pk, name)`. Only the owner signs values
 *   under its namespace, except inbox keys `inbox/<sender pk hex>/<id>`, which the named
 *   sender signs and the owner (recipient) may delete.
 * - A **writer id** (vector clock entry) is the writing Star's device id (a random id kept
 *   with the account in that browser profile), so the same account restored on a second
 *   device makes concurrent versions, not silent overwrites.
 */

/** hex of a 32-byte Ed25519 public key */
export type MemberId = string;

/** a key's identity: its owner's public key (hex) and its name inside that namespace */
export interface StorageKey {
  owner: MemberId;
  name: string;
}

/** counter per writer id; absent entries are 0 */
export type VectorClock = Readonly<Record<string, number>>;

export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

export interface RingMember {
  id: MemberId;
  /** declared capacity, in units (1 unit = the default Star); sets its share of virtual nodes */
  capacity: number;
}

/** N/R/W, configurable; R + W > N for read-your-writes */
export interface QuorumConfig {
  n: number;
  r: number;
  w: number;
}

export const DEFAULT_QUORUM: QuorumConfig = { n: 3, r: 2, w: 2 };

/**
 * One stored version of one key, exactly as its writer signed it. Replicas keep every
 * version no other version supersedes (siblings), and serve them as they are.
 */
export interface SignedRecord {
  owner: Uint8Array; // 32-byte pk of the namespace owner
  name: string;
  /** who signed: the owner, or for inbox keys the sender named in the key */
  signer: Uint8Array;
  clock: VectorClock;
  /** ms since epoch, the writer's clock; informative (ordering is the vector clock's) */
  time: number;
  /** null is a tombstone (delete) */
  value: Uint8Array | null;
  /** true when value is a sealed (encrypted) envelope; storage Stars cannot read it */
  sealed: boolean;
  /** Merkle root over the value's segments (for proof-of-possession audits); empty root for tombstones */
  segmentsRoot: Uint8Array;
  sig: Uint8Array;
}

/** a key's identity as one string: owner hex (fixed length, so unambiguous) + '/' + name */
export function keyIdOf(key: StorageKey): string {
  return `${key.owner}/${key.name}`;
}
