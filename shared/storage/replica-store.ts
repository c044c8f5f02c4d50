/**
 * A replica's versions, per key: the reconciled set (vector-clock.ts `reconcile`, versions
 * identified by record.ts `recordDigest`), so an older clock never replaces a newer one and
 * concurrent versions stay side by side as siblings. Tombstones are versions like any other.
 *
 * Pure and in memory: every change reports which versions to write and which to delete, and
 * the storage node turns those into one `persist` output (one IndexedDB transaction).
 * The same class holds a Star's own shard (`hint` undefined) and, one instance per intended
 * member, the hinted versions it keeps for others.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { encodeRecord, recordDigest, recordKey } from './record.ts';
import { keyPositionOf } from './ring.ts';
import { keyIdOf, type MemberId, type SignedRecord, type StorageKey } from './types.ts';
import { reconcile } from './vector-clock.ts';

/** one version in or out of a store: what the adapter writes or deletes */
export interface VersionRef {
  keyId: string;
  digest: string;
  /** the intended member, for a hinted version; undefined in the Star's own shard */
  hint?: MemberId;
}

export interface VersionWrite extends VersionRef {
  record: SignedRecord;
}

export interface KeyVersions {
  key: StorageKey;
  keyId: string;
  /** ring position (keyPosition) */
  position: number;
  versions: SignedRecord[];
  /** recordDigest of each version, aligned with `versions` */
  digests: string[];
  /** sha256 of the sorted digests joined by ',' (hex): merkle-sync's SyncEntry.versions */
  versionsHash: string;
}

export interface StoreChange {
  written: VersionWrite[];
  removed: VersionRef[];
  /** keys whose version set changed */
  changed: string[];
}

const digests = new WeakMap<SignedRecord, string>();

/** recordDigest, computed once per record object */
export function digestOf(r: SignedRecord): string {
  let d = digests.get(r);
  if (d === undefined) {
    d = recordDigest(r);
    digests.set(r, d);
  }
  return d;
}

const sizes = new WeakMap<SignedRecord, number>();

/** the record's encoded size (what it costs in a message) */
export function sizeOf(r: SignedRecord): number {
  let s = sizes.get(r);
  if (s === undefined) {
    s = encodeRecord(r).length;
    sizes.set(r, s);
  }
  return s;
}

const utf8 = new TextEncoder();

export function versionsHashOf(sortedDigests: readonly string[]): string {
  return toHex(sha256(utf8.encode(sortedDigests.join(','))));
}

const keyIds = new WeakMap<SignedRecord, string>();

/** keyIdOf(recordKey(r)), computed once per record object */
export function keyIdOfRecord(r: SignedRecord): string {
  let k = keyIds.get(r);
  if (k === undefined) {
    k = keyIdOf(recordKey(r));
    keyIds.set(r, k);
  }
  return k;
}

/** the key a keyId names (owner hex is fixed-length, so the first '/' ends it) */
export function keyOfId(keyId: string): StorageKey {
  const slash = keyId.indexOf('/');
  return { owner: keyId.slice(0, slash), name: keyId.slice(slash + 1) };
}

/** changes remembered per store (VersionStore.changedSince): anti-entropy updates its trees from them */
const CHANGE_LOG = 4096;

export class VersionStore {
  readonly hint: MemberId | undefined;
  readonly #keys = new Map<string, KeyVersions>();
  #records = 0;
  #bytes = 0;
  #version = 0;
  /** the key each change (version bump) was about, the latest CHANGE_LOG of them: change i made version logBase + i + 1 */
  #log: string[] = [];
  #logBase = 0;

  constructor(hint?: MemberId) {
    this.hint = hint;
  }

  /** the keys changed since `version` (repeats possible), or undefined when that is too long ago to tell */
  changedSince(version: number): string[] | undefined {
    if (version < this.#logBase || version > this.#version) return undefined;
    return this.#log.slice(version - this.#logBase);
  }

  #changed(keyId: string): void {
    this.#version++;
    this.#log.push(keyId);
    if (this.#log.length > 2 * CHANGE_LOG) {
      this.#logBase += this.#log.length - CHANGE_LOG;
      this.#log = this.#log.slice(-CHANGE_LOG);
    }
  }

  get size(): number {
    return this.#keys.size;
  }
  /** bumps on every change */
  get version(): number {
    return this.#version;
  }
  /** versions held, over all keys */
  get records(): number {
    return this.#records;
  }
  /** encoded bytes held */
  get bytes(): number {
    return this.#bytes;
  }

  get(keyId: string): KeyVersions | undefined {
    return this.#keys.get(keyId);
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  keys(): IterableIterator<KeyVersions> {
    return this.#keys.values();
  }

  /**
   * Adds versions (any keys, any order) and keeps per key only what no other version
   * supersedes. Versions already held or already superseded change nothing.
   */
  add(records: readonly SignedRecord[], change: StoreChange = emptyChange()): StoreChange {
    const byKey = new Map<string, SignedRecord[]>();
    for (const r of records) {
      const id = keyIdOfRecord(r);
      let list = byKey.get(id);
      if (list === undefined) byKey.set(id, (list = []));
      list.push(r);
    }
    for (const [keyId, incoming] of byKey) this.#addToKey(keyId, incoming, change);
    return change;
  }

  #addToKey(keyId: string, incoming: SignedRecord[], change: StoreChange): void {
    const current = this.#keys.get(keyId);
    const before = new Set(current?.digests ?? []);
    const fresh = incoming.filter((r) => !before.has(digestOf(r)));
    if (fresh.length === 0) return;
    const all = [...(current?.versions ?? []), ...fresh];
    const kept = reconcile(all, (r) => r.clock, digestOf);
    const keptDigests = kept.map(digestOf);
    const keptSet = new Set(keptDigests);
    const hintField = this.hint === undefined ? {} : { hint: this.hint };
    let changed = false;
    for (const d of before) {
      if (!keptSet.has(d)) {
        change.removed.push({ keyId, digest: d, ...hintField });
        changed = true;
      }
    }
    const written = new Set<string>();
    for (const r of kept) {
      const d = digestOf(r);
      if (!before.has(d) && !written.has(d)) {
        written.add(d);
        change.written.push({ keyId, digest: d, record: r, ...hintField });
        changed = true;
      }
    }
    if (!changed) return;
    if (current !== undefined) this.#account(current, -1);
    const key = recordKey(kept[0]!);
    const next: KeyVersions = {
      key,
      keyId,
      position: current?.position ?? keyPositionOf(keyId, key),
      versions: kept,
      digests: keptDigests,
      versionsHash: versionsHashOf([...keptDigests].sort()),
    };
    this.#keys.set(keyId, next);
    this.#account(next, 1);
    this.#changed(keyId);
    change.changed.push(keyId);
  }

  /** drops a key; with `only`, just those digests (versions that were handed on) */
  remove(keyId: string, only?: ReadonlySet<string>, change: StoreChange = emptyChange()): StoreChange {
    const current = this.#keys.get(keyId);
    if (current === undefined) return change;
    const hintField = this.hint === undefined ? {} : { hint: this.hint };
    const keep: SignedRecord[] = [];
    for (let i = 0; i < current.versions.length; i++) {
      const d = current.digests[i]!;
      if (only === undefined || only.has(d)) change.removed.push({ keyId, digest: d, ...hintField });
      else keep.push(current.versions[i]!);
    }
    if (keep.length === current.versions.length) return change;
    this.#account(current, -1);
    if (keep.length === 0) {
      this.#keys.delete(keyId);
    } else {
      const ds = keep.map(digestOf);
      const next: KeyVersions = { ...current, versions: keep, digests: ds, versionsHash: versionsHashOf([...ds].sort()) };
      this.#keys.set(keyId, next);
      this.#account(next, 1);
    }
    this.#changed(keyId);
    change.changed.push(keyId);
    return change;
  }

  #account(k: KeyVersions, sign: 1 | -1): void {
    this.#records += sign * k.versions.length;
    for (const r of k.versions) this.#bytes += sign * sizeOf(r);
  }
}

export function emptyChange(): StoreChange {
  return { written: [], removed: [], changed: [] };
}

/**
 * Versions held for members that did not answer in time (sloppy quorum), one VersionStore
 * per intended member, bounded in all and per member: a full hint store refuses, and the
 * coordinator tries its next fallback.
 */
export class HintStore {
  readonly #byMember = new Map<MemberId, VersionStore>();
  readonly #maxRecords: number;
  readonly #maxPerMember: number;
  #records = 0;

  constructor(maxRecords: number, maxPerMember: number) {
    this.#maxRecords = maxRecords;
    this.#maxPerMember = maxPerMember;
  }

  /** hinted versions held, over all members */
  get records(): number {
    return this.#records;
  }

  #recount(): void {
    let n = 0;
    for (const s of this.#byMember.values()) n += s.records;
    this.#records = n;
  }

  members(): MemberId[] {
    return [...this.#byMember.keys()];
  }

  of(member: MemberId): VersionStore | undefined {
    return this.#byMember.get(member);
  }

  /** false (and nothing stored) when the store has no room for them */
  add(member: MemberId, records: readonly SignedRecord[], change: StoreChange): boolean {
    const held = this.#byMember.get(member);
    if (this.records + records.length > this.#maxRecords || (held?.records ?? 0) + records.length > this.#maxPerMember) return false;
    let store = held;
    if (store === undefined) this.#byMember.set(member, (store = new VersionStore(member)));
    store.add(records, change);
    if (store.size === 0) this.#byMember.delete(member);
    this.#recount();
    return true;
  }

  remove(member: MemberId, keyId: string, only: ReadonlySet<string> | undefined, change: StoreChange): void {
    const store = this.#byMember.get(member);
    if (store === undefined) return;
    store.remove(keyId, only, change);
    if (store.size === 0) this.#byMember.delete(member);
    this.#recount();
  }

  /** every hinted version of one key, whoever it is meant for */
  versionsOf(keyId: string): SignedRecord[] {
    const out: SignedRecord[] = [];
    for (const s of this.#byMember.values()) {
      const k = s.get(keyId);
      if (k !== undefined) out.push(...k.versions);
    }
    return out;
  }
}
