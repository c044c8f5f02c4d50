/**
 * Consistent-hash ring with capacity-weighted virtual nodes (the Lambda paper's weight-aware
 * placement): a Star with twice the declared capacity gets twice the virtual nodes, so twice
 * the keys, and a join or leave moves only the keys next to the changed member's nodes.
 *
 * Conventions (every Star must compute the same ring, so these are part of the protocol):
 * - Positions are integers in [0, 2^48) (RING_SPACE). Members are taken in id order.
 * - A member's node positions are the first `vnodes` outputs of xoshiro128** seeded with
 *   sha256("starweave/storage-vnode/1" ‖ utf8 id), 48 bits per node. They depend on the id
 *   alone, so a join never moves anyone else's nodes, and raising a capacity only adds nodes.
 *   One hash per member rather than per node: sha256 costs ~2 µs here, which for 512k nodes
 *   (1,000 members) would be a second per build; grinding ids to aim nodes costs an attacker
 *   the same either way.
 * - A key belongs to its nearest node (the boundary between two neighbouring nodes is their
 *   midpoint), and its preference list continues clockwise from that node. Nearest rather than
 *   next-clockwise gives each node the mean of two gaps, which halves the variance of a
 *   member's load at no cost, and a joining node still takes keys only from its two neighbours.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex } from '../codec/hex.ts';
import type { MemberId, RingMember, StorageKey } from './types.ts';

/** positions are integers in [0, RING_SPACE) */
export const RING_SPACE = 2 ** 48;

/**
 * A member's share spreads by about 1/sqrt(2 × vnodes) around its mean. At 512, 64 equal Stars
 * came out most/least loaded ≈ 1.17 over primaries and ≈ 1.15 over whole N=3 lists (400k
 * sampled keys; the goal is 1.3), where 256 left primaries at 1.25–1.3. A 1,000-member ring
 * (512k nodes) still builds in tens of milliseconds.
 */
export const DEFAULT_VNODES_PER_UNIT = 512;

const utf8 = new TextEncoder();
const KEY_DOMAIN = utf8.encode('starweave/storage-key/1');
const VNODE_DOMAIN = utf8.encode('starweave/storage-vnode/1');

/** a key's position on the ring: the first 6 bytes of sha256("starweave/storage-key/1" ‖ owner pk ‖ 0x00 ‖ utf8 name), as a number in [0, 2^48) */
export function keyPosition(key: StorageKey): number {
  const owner = fromHex(key.owner);
  if (owner === null) throw new TypeError(`storage key owner must be lower-case hex, got ${JSON.stringify(key.owner.slice(0, 80))}`);
  const name = utf8.encode(key.name);
  const input = new Uint8Array(KEY_DOMAIN.length + owner.length + 1 + name.length);
  input.set(KEY_DOMAIN, 0);
  input.set(owner, KEY_DOMAIN.length);
  input[KEY_DOMAIN.length + owner.length] = 0;
  input.set(name, KEY_DOMAIN.length + owner.length + 1);
  const h = sha256(input);
  return (h[0]! * 2 ** 40) + (h[1]! * 2 ** 32) + ((h[2]! << 24) >>> 0) + (h[3]! << 16) + (h[4]! << 8) + h[5]!;
}

/** positions per keyId, remembered: a put needs its key's position for the preference list, the walk, the replica's check and its store (a sha256 each) */
const positions = new Map<string, number>();
const MAX_POSITIONS = 1 << 16;

/** keyPosition(key), computed once per keyId (keyIdOf(key)) while remembered */
export function keyPositionOf(keyId: string, key: StorageKey): number {
  let p = positions.get(keyId);
  if (p === undefined) {
    p = keyPosition(key);
    if (positions.size >= MAX_POSITIONS) positions.clear();
    positions.set(keyId, p);
  }
  return p;
}

export interface RingOptions {
  /** virtual nodes per capacity unit (default chosen so 64 equal Stars balance within 1.3) */
  vnodesPerUnit?: number;
}

/** the number of virtual nodes a member gets; exported so tools can show it */
export function vnodeCount(capacity: number, vnodesPerUnit: number = DEFAULT_VNODES_PER_UNIT): number {
  if (typeof capacity !== 'number' || !Number.isFinite(capacity) || capacity <= 0) {
    throw new RangeError(`ring member capacity must be a positive finite number, got ${capacity}`);
  }
  return Math.max(1, Math.round(capacity * vnodesPerUnit));
}

/**
 * Writes member `id`'s first `count` node positions into `out` from `at`: xoshiro128** seeded
 * from sha256, 48 bits per node (32 + 16 from two outputs). Integer-only arithmetic, so every
 * browser computes the same ring.
 */
function memberPositions(id: string, count: number, out: Float64Array, at: number): void {
  const idBytes = utf8.encode(id);
  const input = new Uint8Array(VNODE_DOMAIN.length + idBytes.length);
  input.set(VNODE_DOMAIN, 0);
  input.set(idBytes, VNODE_DOMAIN.length);
  const seed = sha256(input);
  const word = (i: number) => ((seed[i]! << 24) | (seed[i + 1]! << 16) | (seed[i + 2]! << 8) | seed[i + 3]!) >>> 0;
  let s0 = word(0), s1 = word(4), s2 = word(8), s3 = word(12);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is the generator's one fixed point
  let high = 0;
  for (let k = 0; k < 2 * count; k++) {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    if ((k & 1) === 0) high = r;
    else out[at + (k >>> 1)] = high * 65536 + (r >>> 16);
  }
}

/**
 * Sorts the nodes by position, carrying their owners, into new arrays: one counting pass into
 * buckets on the top bits (about eight nodes per bucket, since positions are uniform), then an
 * insertion sort inside each bucket. Measured at 512k nodes: ~20 ms, against ~60 ms for the
 * engine's native Float64Array sort and ~300 ms for sorting indices with a comparator. Stable,
 * so equal positions (vanishingly rare) keep member-id order and the ring stays deterministic.
 */
function sortNodes(pos: Float64Array, owner: Uint32Array): { pos: Float64Array; owner: Uint32Array } {
  const n = pos.length;
  const bits = Math.max(1, Math.min(16, Math.ceil(Math.log2(n + 1)) - 3));
  const scale = 2 ** (bits - 48);
  const starts = new Uint32Array((1 << bits) + 1);
  for (let i = 0; i < n; i++) starts[Math.floor(pos[i]! * scale) + 1]!++;
  for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
  const fill = starts.slice(0, -1);
  const sp = new Float64Array(n);
  const so = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const to = fill[Math.floor(pos[i]! * scale)]!++;
    sp[to] = pos[i]!;
    so[to] = owner[i]!;
  }
  for (let b = 0; b + 1 < starts.length; b++) {
    const lo = starts[b]!, hi = starts[b + 1]!;
    for (let i = lo + 1; i < hi; i++) {
      const p = sp[i]!, o = so[i]!;
      let j = i - 1;
      for (; j >= lo && sp[j]! > p; j--) {
        sp[j + 1] = sp[j]!;
        so[j + 1] = so[j]!;
      }
      sp[j + 1] = p;
      so[j + 1] = o;
    }
  }
  return { pos: sp, owner: so };
}

/** a member's first `count` node positions, in generation order: for tools and tests that draw or check the ring */
export function vnodePositions(id: MemberId, count: number): number[] {
  const out = new Float64Array(count);
  memberPositions(id, count, out, 0);
  return [...out];
}

export class Ring {
  readonly #members: readonly RingMember[];
  readonly #index = new Map<MemberId, number>();
  /**
   * Node k owns the keys in (bounds[k-1], bounds[k]]: each bound is the midpoint between two
   * neighbouring nodes, so a key belongs to its nearest node. A node's share is then the mean
   * of two gaps instead of one, which halves the variance of a member's load for free (the
   * same balance as twice the nodes). Ascending, except that the last bound may wrap past 2^48.
   */
  readonly #bounds: Float64Array;
  readonly #lastWraps: boolean;
  /** owner (index into #members) of each node */
  readonly #owners: Uint32Array;
  /** scratch for distinct-member walks: #seen[m] === #stamp means seen in this walk */
  readonly #seen: Uint32Array;
  #stamp = 0;

  constructor(members: readonly RingMember[], options?: RingOptions) {
    const perUnit = options?.vnodesPerUnit ?? DEFAULT_VNODES_PER_UNIT;
    if (typeof perUnit !== 'number' || !Number.isFinite(perUnit) || perUnit <= 0) {
      throw new RangeError(`vnodesPerUnit must be a positive finite number, got ${perUnit}`);
    }
    // sorted by id so the ring does not depend on the order presence delivered the members in
    const sorted = members.map((m) => Object.freeze({ id: m.id, capacity: m.capacity })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const counts = sorted.map((m) => vnodeCount(m.capacity, perUnit));
    for (let i = 0; i < sorted.length; i++) {
      const id = sorted[i]!.id;
      if (typeof id !== 'string' || id === '') throw new TypeError('ring member id must be a non-empty string');
      if (this.#index.has(id)) throw new Error(`ring member ${id} listed twice`);
      this.#index.set(id, i);
    }
    this.#members = Object.freeze(sorted);
    const total = counts.reduce((a, b) => a + b, 0);
    const positions = new Float64Array(total);
    const owners = new Uint32Array(total);
    for (let i = 0, at = 0; i < sorted.length; at += counts[i]!, i++) {
      memberPositions(sorted[i]!.id, counts[i]!, positions, at);
      owners.fill(i, at, at + counts[i]!);
    }
    const ring = sortNodes(positions, owners);
    const p = ring.pos;
    let wraps = false;
    if (total > 0) {
      // the last node's neighbour is the first one, a lap on; computed before p[0] is overwritten
      let last = p[total - 1]! + Math.floor((p[0]! + RING_SPACE - p[total - 1]!) / 2);
      if (last >= RING_SPACE) {
        last -= RING_SPACE;
        wraps = true;
      }
      for (let k = 0; k + 1 < total; k++) p[k] = p[k]! + Math.floor((p[k + 1]! - p[k]!) / 2);
      p[total - 1] = last;
    }
    this.#bounds = p;
    this.#lastWraps = wraps;
    this.#owners = ring.owner;
    this.#seen = new Uint32Array(sorted.length);
  }

  /** the members, sorted by id */
  get members(): readonly RingMember[] {
    return this.#members;
  }

  /** how many virtual nodes the ring holds (all members together) */
  get vnodes(): number {
    return this.#owners.length;
  }

  has(id: MemberId): boolean {
    return this.#index.has(id);
  }

  /** the first n distinct members clockwise from the key (fewer if the ring has fewer) */
  preferenceList(key: StorageKey | number, n: number): MemberId[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`preference list length must be a non-negative integer, got ${n}`);
    return this.#distinct(key, Math.min(n, this.#members.length));
  }

  /** every distinct member clockwise from the key, the preference list first (sloppy quorum fallbacks follow) */
  walk(key: StorageKey | number): MemberId[] {
    return this.#distinct(key, this.#members.length);
  }

  #distinct(key: StorageKey | number, want: number): MemberId[] {
    const position = typeof key === 'number' ? checkedPosition(key) : keyPosition(key);
    const out: MemberId[] = [];
    const total = this.#owners.length;
    if (want === 0 || total === 0) return out;
    // stamps instead of a Set: no allocation per lookup, and a walk may touch many nodes
    if (++this.#stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = 1;
    }
    const stamp = this.#stamp;
    let j = this.#ownerNode(position);
    for (let steps = 0; steps < total && out.length < want; steps++, j = j + 1 === total ? 0 : j + 1) {
      const m = this.#owners[j]!;
      if (this.#seen[m] === stamp) continue;
      this.#seen[m] = stamp;
      out.push(this.#members[m]!.id);
    }
    return out;
  }

  /** the node owning a position: the first bound at or after it, wrapping */
  #ownerNode(position: number): number {
    const b = this.#bounds;
    const last = b.length - 1;
    // a wrapped last bound sits below all others: that node owns the top of the ring and the bottom up to it
    if (this.#lastWraps && position <= b[last]!) return last;
    const end = this.#lastWraps ? last : b.length;
    let lo = 0;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid]! < position) lo = mid + 1;
      else hi = mid;
    }
    if (lo < end) return lo;
    return this.#lastWraps ? last : 0;
  }
}

function checkedPosition(p: number): number {
  if (!Number.isInteger(p) || p < 0 || p >= RING_SPACE) throw new RangeError(`ring position must be an integer in [0, 2^48), got ${p}`);
  return p;
}
