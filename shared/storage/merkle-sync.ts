/**
 * Merkle-tree anti-entropy: two replicas compare hash trees over the keys of a ring range
 * they share, walk down only where hashes differ, and end with exactly the keys whose version
 * sets differ.
 *
 * The tree is a fixed-shape binary tree over 2^depth buckets of the ring range [from, to)
 * (wrapping past 2^48 allowed), so two replicas' trees line up node by node without sending
 * key lists first. A bucket's hash covers its keys' (keyId, versionsDigest) in keyId order.
 *
 * Hashes (sha256, domain-separated so no leaf can pass for an inner node or the reverse):
 *   leaf  = sha256(0x00 ‖ for each entry in keyId order: u32be len ‖ utf8 keyId ‖ u32be len ‖ utf8 versions)
 *   inner = sha256(0x01 ‖ left ‖ right)
 * Length prefixes keep entry boundaries unambiguous. keyId order is JavaScript string order
 * (UTF-16 code units), which every replica computes the same way. An empty bucket hashes to
 * sha256(0x00), so replicas that both lack a bucket's keys agree on it.
 *
 * The exchange, level by level (what `diffTrees` does locally): compare the roots; at each
 * next level take the children of the nodes that differed (`childIndices`), compare those
 * (`differingNodes`), and at the leaves compare the differing buckets' entries (`diffEntries`).
 */
import { sha256 } from '@noble/hashes/sha2.js';

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
/** 2^17 node hashes (4 MiB) at most: deeper trees cost more to build than they save to send */
export const MAX_SYNC_DEPTH = 16;

const RING_SPACE = 2 ** 48;
const HASH = 32;
const EMPTY_LEAF = sha256(Uint8Array.of(0));

/** empty-subtree hashes by height, so a sparse tree skips hashing its empty parts */
const EMPTY_BY_HEIGHT: Uint8Array[] = [EMPTY_LEAF];
for (let h = 1; h <= MAX_SYNC_DEPTH; h++) EMPTY_BY_HEIGHT.push(innerHash(EMPTY_BY_HEIGHT[h - 1]!, EMPTY_BY_HEIGHT[h - 1]!));

function innerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * HASH);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + HASH);
  return sha256(input);
}

function checkPosition(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 0 || p >= RING_SPACE) throw new RangeError(`${what} must be an integer in [0, 2^48), got ${p}`);
}

/** the range's length; from === to is the whole ring */
export function rangeSize(range: RingRange): number {
  const size = (range.to - range.from + RING_SPACE) % RING_SPACE;
  return size === 0 ? RING_SPACE : size;
}

/** whether a position lies in [from, to), wrapping past 2^48 when from > to */
export function inRange(range: RingRange, position: number): boolean {
  return (position - range.from + RING_SPACE) % RING_SPACE < rangeSize(range);
}

/**
 * The bucket a position falls in: floor(offset × 2^depth / size), offset being the position's
 * distance from `from`; -1 when the position is outside the range. Computed exactly: the
 * product reaches 2^64, past what a double holds, so a quotient too near an integer to trust
 * is redone in BigInt (rare: only within ~2^-33 of a bucket edge).
 */
export function bucketOf(range: RingRange, position: number, depth: number): number {
  const size = rangeSize(range);
  const offset = (position - range.from + RING_SPACE) % RING_SPACE;
  if (offset >= size) return -1;
  const scaled = offset * 2 ** depth; // exact: a power of two only shifts the exponent
  if (size === RING_SPACE) return Math.floor(scaled / RING_SPACE);
  const q = scaled / size;
  const floor = Math.floor(q);
  if (q - floor > 1e-6 && floor + 1 - q > 1e-6) return floor;
  return Number((BigInt(offset) << BigInt(depth)) / BigInt(size));
}

export class SyncTree {
  readonly range: RingRange;
  readonly #depth: number;
  /** per level, 2^level hashes of 32 bytes back to back */
  readonly #levels: Uint8Array[];
  /** leaf buckets in keyId order; absent for empty buckets */
  readonly #buckets: (SyncEntry[] | undefined)[];
  #count: number;

  /**
   * Entries outside the range are left out, so a replica can pass its whole store. `from`
   * is for updated() only: a copy of that tree's buckets and hashes (entries are ignored).
   */
  constructor(range: RingRange, entries: Iterable<SyncEntry>, depth?: number, from?: SyncTree) {
    checkPosition(range.from, 'range.from');
    checkPosition(range.to, 'range.to');
    const d = depth ?? DEFAULT_SYNC_DEPTH;
    if (!Number.isInteger(d) || d < 0 || d > MAX_SYNC_DEPTH) throw new RangeError(`sync tree depth must be an integer in [0, ${MAX_SYNC_DEPTH}], got ${d}`);
    this.range = Object.freeze({ from: range.from, to: range.to });
    this.#depth = d;
    const leaves = 2 ** d;
    const buckets: (SyncEntry[] | undefined)[] = new Array(leaves);
    // a key listed twice is a caller's bug, and would make replicas that agree look different
    const seen = new Set<string>();
    for (const e of entries) {
      checkPosition(e.position, `position of ${e.keyId}`);
      const b = bucketOf(this.range, e.position, d);
      if (b < 0) continue;
      if (seen.has(e.keyId)) throw new Error(`sync tree: key ${e.keyId} listed twice`);
      seen.add(e.keyId);
      (buckets[b] ??= []).push(e);
    }
    this.#buckets = from === undefined ? buckets : [...from.#buckets];
    this.#count = from === undefined ? seen.size : from.#count;

    this.#levels = [];
    // a copy of another tree (updated()): its hashes, changed only along changed paths
    if (from !== undefined) {
      for (const level of from.#levels) this.#levels.push(level.slice());
      return;
    }
    for (let l = 0; l <= d; l++) this.#levels.push(new Uint8Array(HASH * 2 ** l));
    // empty[i] marks an all-empty subtree at the current level, whose hash is EMPTY_BY_HEIGHT
    let empty = new Uint8Array(leaves);
    const leafLevel = this.#levels[d]!;
    const writer = new EntryWriter();
    for (let b = 0; b < leaves; b++) {
      const bucket = buckets[b];
      if (bucket === undefined) {
        leafLevel.set(EMPTY_LEAF, b * HASH);
        empty[b] = 1;
        continue;
      }
      bucket.sort((x, y) => (x.keyId < y.keyId ? -1 : 1));
      leafLevel.set(writer.leafHash(bucket), b * HASH);
    }
    const input = new Uint8Array(1 + 2 * HASH);
    input[0] = 1;
    for (let l = d - 1; l >= 0; l--) {
      const below = this.#levels[l + 1]!;
      const here = this.#levels[l]!;
      const nextEmpty = new Uint8Array(2 ** l);
      for (let i = 0; i < 2 ** l; i++) {
        if (empty[2 * i] && empty[2 * i + 1]) {
          here.set(EMPTY_BY_HEIGHT[d - l]!, i * HASH);
          nextEmpty[i] = 1;
          continue;
        }
        input.set(below.subarray(2 * i * HASH, (2 * i + 2) * HASH), 1);
        here.set(sha256(input), i * HASH);
      }
      empty = nextEmpty;
    }
  }

  get depth(): number {
    return this.#depth;
  }

  /**
   * The tree with some keys changed, without rebuilding it: `changes` gives each changed
   * key's entry now (undefined: no longer in the tree); only the buckets they fall in and
   * their paths to the root are hashed again. The same hashes as a tree built from scratch
   * over the same entries; this tree is left as it was (an exchange may still be using it).
   */
  updated(changes: Iterable<{ keyId: string; position: number; entry: SyncEntry | undefined }>): SyncTree {
    const next = new SyncTree(this.range, [], this.#depth, this);
    const dirty = new Set<number>();
    for (const c of changes) {
      checkPosition(c.position, `position of ${c.keyId}`);
      const b = bucketOf(this.range, c.position, this.#depth);
      if (b < 0) continue;
      const old = next.#buckets[b] ?? [];
      const kept = old.filter((e) => e.keyId !== c.keyId);
      next.#count -= old.length - kept.length;
      if (c.entry !== undefined) {
        kept.push(c.entry);
        next.#count++;
      }
      next.#buckets[b] = kept.length > 0 ? kept : undefined;
      dirty.add(b);
    }
    next.#rehash(dirty);
    return next;
  }

  /** hashes the given buckets again, then their ancestors */
  #rehash(buckets: ReadonlySet<number>): void {
    const d = this.#depth;
    const writer = new EntryWriter();
    const leafLevel = this.#levels[d]!;
    for (const b of buckets) {
      const bucket = this.#buckets[b];
      if (bucket === undefined) {
        leafLevel.set(EMPTY_LEAF, b * HASH);
        continue;
      }
      bucket.sort((x, y) => (x.keyId < y.keyId ? -1 : 1));
      leafLevel.set(writer.leafHash(bucket), b * HASH);
    }
    let nodes = new Set(buckets);
    for (let l = d - 1; l >= 0; l--) {
      const below = this.#levels[l + 1]!;
      const here = this.#levels[l]!;
      const parents = new Set<number>();
      for (const i of nodes) parents.add(i >> 1);
      // (an all-empty pair hashes to EMPTY_BY_HEIGHT, which the full build writes there directly)
      for (const i of parents) here.set(innerHash(below.subarray(2 * i * HASH, (2 * i + 1) * HASH), below.subarray((2 * i + 1) * HASH, (2 * i + 2) * HASH)), i * HASH);
      nodes = parents;
    }
  }

  /** how many entries fell inside the range */
  get size(): number {
    return this.#count;
  }

  get root(): Uint8Array {
    return this.node(0, 0);
  }

  /** the 2^level node hashes of one level (level 0 = the root) */
  level(level: number): Uint8Array[] {
    const bytes = this.#level(level);
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += HASH) out.push(bytes.slice(i, i + HASH));
    return out;
  }

  /** one node's hash: level, index within the level */
  node(level: number, index: number): Uint8Array {
    const bytes = this.#level(level);
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** level) throw new RangeError(`no node ${index} at level ${level}`);
    return bytes.slice(index * HASH, (index + 1) * HASH);
  }

  /** the hashes of the given nodes of one level, in the order asked: what one exchange round sends */
  nodes(level: number, indices: readonly number[]): Uint8Array[] {
    return indices.map((i) => this.node(level, i));
  }

  /** the entries of bucket `index` (leaf level) */
  bucket(index: number): SyncEntry[] {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** this.#depth) throw new RangeError(`no bucket ${index} at depth ${this.#depth}`);
    return [...(this.#buckets[index] ?? [])];
  }

  #level(level: number): Uint8Array {
    const bytes = this.#levels[level];
    if (!Number.isInteger(level) || bytes === undefined) throw new RangeError(`no level ${level} in a tree of depth ${this.#depth}`);
    return bytes;
  }
}

/**
 * Serialises a bucket's entries into one reusable buffer and hashes it once: one sha256 call
 * per bucket instead of one update per field keeps a 10,000-entry tree to a few milliseconds.
 */
class EntryWriter {
  #buf = new Uint8Array(4096);
  readonly #utf8 = new TextEncoder();

  leafHash(entries: readonly SyncEntry[]): Uint8Array {
    let need = 1;
    for (const e of entries) need += 8 + 3 * (e.keyId.length + e.versions.length); // utf8 is at most 3 bytes per UTF-16 unit
    if (need > this.#buf.length) this.#buf = new Uint8Array(Math.max(need, 2 * this.#buf.length));
    const buf = this.#buf;
    buf[0] = 0;
    let at = 1;
    for (const e of entries) {
      at = this.#string(e.keyId, at);
      at = this.#string(e.versions, at);
    }
    return sha256(buf.subarray(0, at));
  }

  #string(s: string, at: number): number {
    const { written } = this.#utf8.encodeInto(s, this.#buf.subarray(at + 4));
    this.#buf[at] = written >>> 24;
    this.#buf[at + 1] = (written >>> 16) & 0xff;
    this.#buf[at + 2] = (written >>> 8) & 0xff;
    this.#buf[at + 3] = written & 0xff;
    return at + 4 + written;
  }
}

/**
 * Positions i (in `mine`) whose hashes differ. Pass one whole level to get node indices; pass the
 * children of the parents that differed, in the same order on both sides, and map each result
 * back through that index list. A hash `theirs` lacks counts as differing; extras are ignored.
 */
export function differingNodes(mine: readonly Uint8Array[], theirs: readonly Uint8Array[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < mine.length; i++) {
    if (!sameBytes(mine[i]!, theirs[i])) out.push(i);
  }
  return out;
}

/** the children, at the next level, of the given nodes: what to compare after `parents` differed */
export function childIndices(parents: readonly number[]): number[] {
  const out: number[] = [];
  for (const p of parents) out.push(2 * p, 2 * p + 1);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** compare two buckets' entries: keys only I have, only they have, and with different versions */
export function diffEntries(mine: readonly SyncEntry[], theirs: readonly SyncEntry[]): { onlyMine: string[]; onlyTheirs: string[]; differing: string[] } {
  const theirVersions = new Map(theirs.map((e) => [e.keyId, e.versions]));
  const myKeys = new Set<string>();
  const onlyMine: string[] = [];
  const differing: string[] = [];
  for (const e of mine) {
    myKeys.add(e.keyId);
    const v = theirVersions.get(e.keyId);
    if (v === undefined) onlyMine.push(e.keyId);
    else if (v !== e.versions) differing.push(e.keyId);
  }
  const onlyTheirs = theirs.filter((e) => !myKeys.has(e.keyId)).map((e) => e.keyId);
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { onlyMine: onlyMine.sort(order), onlyTheirs: onlyTheirs.sort(order), differing: differing.sort(order) };
}

/**
 * The whole comparison of two trees held in one place (the simulator, tests): the same walk two
 * replicas do over the wire, root to leaves, then diffEntries on each differing bucket.
 */
export function diffTrees(mine: SyncTree, theirs: SyncTree): { onlyMine: string[]; onlyTheirs: string[]; differing: string[] } {
  if (mine.depth !== theirs.depth || mine.range.from !== theirs.range.from || mine.range.to !== theirs.range.to) {
    throw new Error('sync trees over different ranges or depths do not line up');
  }
  let candidates = [0];
  for (let level = 0; level <= mine.depth && candidates.length > 0; level++) {
    const differ = differingNodes(mine.nodes(level, candidates), theirs.nodes(level, candidates)).map((i) => candidates[i]!);
    candidates = level < mine.depth ? childIndices(differ) : differ;
  }
  const out = { onlyMine: [] as string[], onlyTheirs: [] as string[], differing: [] as string[] };
  for (const b of candidates) {
    const d = diffEntries(mine.bucket(b), theirs.bucket(b));
    out.onlyMine.push(...d.onlyMine);
    out.onlyTheirs.push(...d.onlyTheirs);
    out.differing.push(...d.differing);
  }
  return out;
}
