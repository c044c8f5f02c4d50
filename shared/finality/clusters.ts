/**
 * Clusters: which cluster a Star belongs to, and how many clusters the next round has.
 * Both are functions of the Blackhole block alone, so every Star and Galaxy computes the
 * same answer.
 *
 * Membership: `clusterOf(pk, count)` is a jump consistent hash (Lamping & Veach, 2014) of
 * a 64-bit key drawn from sha256(domain ‖ pk). Going from c to c+1 clusters moves only
 * about 1/(c+1) of the Stars (into the new cluster); going back moves exactly those. So a
 * split or a merge disturbs as few Stars as possible, and cluster sizes stay balanced.
 *
 * Splitting and merging (`nextClusterCount`): the Galaxy measures the roster of the next
 * round under the count in force and the load of the round's checkpoints. A cluster with
 * more than `splitAbove` Stars, or a checkpoint with more than `splitAboveEntries`
 * half-blocks, raises the count (to at least enough clusters for `targetSize` Stars each);
 * when the roster would fit in one cluster fewer with fewer than `mergeBelow` Stars each,
 * the count drops. The gap between the two thresholds (`splitAbove ≥ 3 × mergeBelow`) keeps
 * a count from flapping. The count changes only at a Blackhole block, so Stars move
 * between clusters at a round boundary.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { MAX_CLUSTERS } from './checkpoint.ts';
import { domain } from './shape.ts';

const CLUSTER_DOMAIN = 'starweave/cluster/1';

export interface ClusterPolicy {
  /** a cluster with more roster Stars than this splits */
  splitAbove: number;
  /** the count drops while one cluster fewer would still average fewer Stars than this */
  mergeBelow: number;
  /** a checkpoint covering more half-blocks than this means its cluster is overloaded */
  splitAboveEntries: number;
}

export const DEFAULT_CLUSTER_POLICY: ClusterPolicy = { splitAbove: 64, mergeBelow: 16, splitAboveEntries: 1024 };

/** Throws a RangeError naming the problem when the policy could flap or is not a policy. */
export function checkClusterPolicy(p: ClusterPolicy): ClusterPolicy {
  for (const [name, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`cluster policy ${name} must be a whole number ≥ 1, got ${v}`);
  }
  if (p.splitAbove < 3 * p.mergeBelow) throw new RangeError(`cluster policy: splitAbove (${p.splitAbove}) must be at least 3 × mergeBelow (${p.mergeBelow}), or counts could flap`);
  return p;
}

const MASK_64 = (1n << 64n) - 1n;
const JUMP_MULTIPLIER = 2862933555777941757n;
/** 64-bit keys by public key (hex): a Star's key is asked for on every round */
const keyCache = new Map<string, bigint>();
const MAX_KEY_CACHE = 65_536;

function clusterKey(pk: Uint8Array): bigint {
  const id = toHex(pk);
  let key = keyCache.get(id);
  if (key === undefined) {
    const digest = sha256(domain(CLUSTER_DOMAIN, pk));
    key = new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0);
    if (keyCache.size >= MAX_KEY_CACHE) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/** Jump consistent hash of a 64-bit key into `buckets` buckets. */
export function jumpHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key & MASK_64;
  while (j < buckets) {
    b = j;
    k = (k * JUMP_MULTIPLIER + 1n) & MASK_64;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(k >> 33n) + 1)));
  }
  return b;
}

/** The cluster of a Star's public key when the round has `count` clusters. */
export function clusterOf(pk: Uint8Array, count: number): number {
  if (count <= 1) return 0;
  return jumpHash(clusterKey(pk), count);
}

/** The roster split by cluster (index = cluster id), each in roster order. */
export function partitionRoster(roster: readonly Uint8Array[], count: number): Uint8Array[][] {
  const out: Uint8Array[][] = Array.from({ length: Math.max(1, count) }, () => []);
  for (const pk of roster) out[clusterOf(pk, count)]!.push(pk);
  return out;
}

export interface ClusterLoad {
  cluster: number;
  /** half-blocks its checkpoint covered this round */
  entries: number;
}

/**
 * The cluster count of the round after a Blackhole block: from the count in force, the
 * block's roster (next round's Stars) and its checkpoints' sizes. Deterministic.
 */
export function nextClusterCount(current: number, roster: readonly Uint8Array[], loads: readonly ClusterLoad[], policy: ClusterPolicy = DEFAULT_CLUSTER_POLICY): number {
  const count = Math.min(MAX_CLUSTERS, Math.max(1, current));
  const sizes = partitionRoster(roster, count).map((members) => members.length);
  const largest = Math.max(0, ...sizes);
  const overloaded = loads.some((l) => l.entries > policy.splitAboveEntries);
  const target = Math.ceil(roster.length / targetSize(policy));
  if (largest > policy.splitAbove || overloaded) return Math.min(MAX_CLUSTERS, Math.max(count + 1, target));
  if (count > 1 && roster.length < policy.mergeBelow * (count - 1)) return Math.max(1, Math.min(count - 1, target));
  return count;
}

/** Stars per cluster a split or merge aims for: halfway between the thresholds. */
function targetSize(policy: ClusterPolicy): number {
  return Math.max(1, Math.floor((policy.splitAbove + policy.mergeBelow) / 2));
}
