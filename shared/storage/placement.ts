/**
 * A Star's current view of placement: the ring built from the last membership (this Star
 * always included: it is online and serving), and per key its preference list and its walk
 * (the sloppy-quorum fallbacks), cached until the membership changes.
 */
import { keyPositionOf, Ring } from './ring.ts';
import type { MemberId, RingMember, StorageKey } from './types.ts';

/** preference lists cached per key until the membership changes (about the keys a shard holds) */
const MAX_CACHED = 1 << 16;
/** walks are as long as the ring: fewer of them */
const MAX_CACHED_WALKS = 1024;

const idSets = new WeakMap<readonly RingMember[], ReadonlySet<MemberId>>();

/** the ids of a membership list, memoised per list (one presence list is handed to every node) */
function idsOf(members: readonly RingMember[]): ReadonlySet<MemberId> {
  let set = idSets.get(members);
  if (set === undefined) {
    set = new Set(members.map((m) => m.id));
    idSets.set(members, set);
  }
  return set;
}

const diffs = new WeakMap<ReadonlySet<MemberId>, WeakMap<ReadonlySet<MemberId>, { added: MemberId[]; removed: MemberId[] }>>();

/** who joined and who left between two id sets, memoised per pair (every node sees the same change) */
function diffOf(prev: ReadonlySet<MemberId>, next: ReadonlySet<MemberId>): { added: MemberId[]; removed: MemberId[] } {
  let byNext = diffs.get(prev);
  if (byNext === undefined) diffs.set(prev, (byNext = new WeakMap()));
  let d = byNext.get(next);
  if (d === undefined) {
    d = { added: [...next].filter((id) => !prev.has(id)), removed: [...prev].filter((id) => !next.has(id)) };
    byNext.set(next, d);
  }
  return { added: [...d.added], removed: [...d.removed] };
}

export type RingFactory = (members: readonly RingMember[]) => Ring;

export class Placement {
  readonly me: MemberId;
  readonly n: number;
  readonly #factory: RingFactory;
  #ring: Ring;
  #members: ReadonlySet<MemberId> = new Set<MemberId>();
  /** bumps on every membership change */
  #version = 0;
  readonly #pref = new Map<string, MemberId[]>();
  readonly #walk = new Map<string, MemberId[]>();

  constructor(me: MemberId, n: number, capacity: number, factory: RingFactory) {
    this.me = me;
    this.n = n;
    this.#factory = factory;
    this.#ring = factory([{ id: me, capacity }]);
    this.#members = new Set([me]);
  }

  get version(): number {
    return this.#version;
  }
  get ring(): Ring {
    return this.#ring;
  }
  /** every member, this Star included */
  get members(): ReadonlySet<MemberId> {
    return this.#members;
  }
  has(id: MemberId): boolean {
    return this.#members.has(id);
  }

  /** the new ring; returns who joined and who left */
  update(members: readonly RingMember[], ownCapacity: number): { added: MemberId[]; removed: MemberId[] } {
    const includesMe = idsOf(members).has(this.me);
    const list = includesMe ? members : [...members, { id: this.me, capacity: ownCapacity }];
    const next = idsOf(list);
    const { added, removed } = diffOf(this.#members, next);
    this.#ring = this.#factory(list);
    this.#members = next;
    this.#version++;
    this.#pref.clear();
    this.#walk.clear();
    return { added, removed };
  }

  /** the key's N replicas (fewer when the ring is smaller) */
  preferenceList(keyId: string, key: StorageKey): MemberId[] {
    let p = this.#pref.get(keyId);
    if (p === undefined) {
      p = this.#ring.preferenceList(keyPositionOf(keyId, key), this.n);
      if (this.#pref.size >= MAX_CACHED) this.#pref.clear();
      this.#pref.set(keyId, p);
    }
    return p;
  }

  isReplica(keyId: string, key: StorageKey, member: MemberId = this.me): boolean {
    return this.preferenceList(keyId, key).includes(member);
  }

  /** every member clockwise from the key, preference list first (the sloppy-quorum fallbacks) */
  walk(keyId: string, key: StorageKey): MemberId[] {
    let w = this.#walk.get(keyId);
    if (w === undefined) {
      w = this.#ring.walk(keyPositionOf(keyId, key));
      if (this.#walk.size >= MAX_CACHED_WALKS) this.#walk.clear();
      this.#walk.set(keyId, w);
    }
    return w;
  }

  /** the first `depth` members of the walk contain `member` */
  withinWalk(keyId: string, key: StorageKey, member: MemberId, depth: number): boolean {
    if (depth <= this.n) return this.preferenceList(keyId, key).slice(0, depth).includes(member);
    return this.#ring.preferenceList(keyPositionOf(keyId, key), depth).includes(member);
  }
}
