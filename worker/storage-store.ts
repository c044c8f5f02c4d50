/**
 * The storage shards' side of IndexedDB, behind a small interface so the service's logic
 * runs in Node tests against an in-memory store (there is no IndexedDB in Node).
 *
 * - Versions: the StorageNode's `persist` outputs. `commit` writes every batch given to it in
 *   ONE readwrite transaction over the version and hint stores, in order (commits made while
 *   two transactions are on their way share the next one: storage-commits.ts), and resolves
 *   only once the transaction committed: the service awaits it before the step's sends and replies
 *   go out (an ack must never promise a write that is not on disk). A QuotaExceededError (or
 *   any other failure) rejects, and nothing of the transaction is kept.
 * - Identity: a random device id (this browser's vector-clock writer id) and the account's
 *   non-extractable X25519 reader key, made once per account and browser profile.
 * - Reader keys other accounts published in presence, and the inbox message ids already
 *   raised as events.
 *
 * Records are kept as their canonical signed bytes (record.ts encodeRecord): their signatures
 * were verified before they were stored, and decodeRecord checks shape, limits, segment root
 * and namespace again when they are loaded.
 */
import { decodeRecord, encodeRecord } from '../shared/storage/record.ts';
import type { VersionRef, VersionWrite } from '../shared/storage/replica-store.ts';
import type { LoadedVersion } from '../shared/storage/storage-node.ts';
import { generateReaderKey } from '../shared/crypto/sealed-value.ts';
import type { StarDb } from './star-db.ts';
import { JoinedCommits } from './storage-commits.ts';

export interface StorageIdentity {
  deviceId: string;
  /** null where this browser's WebCrypto has no X25519: private values can then not be opened here */
  readerKey: CryptoKey | null;
  readerPublic: Uint8Array | null;
}

/** one step's persist output */
export interface PersistBatch {
  write: readonly VersionWrite[];
  remove: readonly VersionRef[];
}

export interface StorageStore {
  /** every version kept (own shard and hints), for StorageNode.loaded */
  load(): Promise<LoadedVersion[]>;
  /** the batches, in order, as one transaction; rejects (nothing kept) when it did not commit */
  commit(batches: readonly PersistBatch[]): Promise<void>;
  /** this account's device id and reader key, made on first use */
  identity(account: string): Promise<StorageIdentity>;
  /** reader keys seen in other accounts' presence: account pk hex → X25519 public key */
  readerKeys(): Promise<Map<string, Uint8Array>>;
  rememberReaderKeys(entries: ReadonlyArray<readonly [string, Uint8Array]>, now: number): Promise<void>;
  /** which of these inbox message keys ('<sender hex>/<id>') were raised before */
  delivered(keys: readonly string[]): Promise<boolean[]>;
  markDelivered(keys: readonly string[], now: number): Promise<void>;
  /** forgets delivered ids older than `before` (their tombstones were written long ago) */
  pruneDelivered(before: number): Promise<void>;
}

const hintKey = (hint: string, digest: string): string => `${hint}|${digest}`;

/** random hex, for device ids */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A fresh identity: the reader key is null where WebCrypto lacks X25519 (a warning, not a failure: public values still work). */
export async function newStorageIdentity(): Promise<StorageIdentity> {
  let readerKey: CryptoKey | null = null;
  let readerPublic: Uint8Array | null = null;
  try {
    const k = await generateReaderKey();
    readerKey = k.privateKey;
    readerPublic = k.publicKey;
  } catch (err) {
    console.warn('starweave: this browser has no WebCrypto X25519; private values cannot be opened in this tab', err);
  }
  return { deviceId: randomHex(16), readerKey, readerPublic };
}

export class IdbStorageStore implements StorageStore {
  readonly #db: StarDb;

  constructor(db: StarDb) {
    this.#db = db;
  }

  async load(): Promise<LoadedVersion[]> {
    const out: LoadedVersion[] = [];
    const tx = this.#db.transaction(['storageVersions', 'storageHints']);
    const [own, hinted] = await Promise.all([tx.objectStore('storageVersions').getAll(), tx.objectStore('storageHints').getAll()]);
    let damaged = 0;
    for (const v of own) {
      const d = decodeRecord(v.record);
      if (d.ok) out.push({ record: d.value });
      else damaged++;
    }
    for (const v of hinted) {
      const d = decodeRecord(v.record);
      if (d.ok) out.push({ record: d.value, hint: v.hint });
      else damaged++;
    }
    if (damaged > 0) console.warn(`starweave: ${damaged} stored versions could not be read and were skipped; anti-entropy fetches them again from other replicas`);
    await tx.done;
    return out;
  }

  /** commits made while two transactions are on their way join one next transaction (storage-commits.ts) */
  readonly #commits = new JoinedCommits<PersistBatch>((batches) => this.#write(batches));

  commit(batches: readonly PersistBatch[]): Promise<void> {
    if (batches.every((b) => b.write.length === 0 && b.remove.length === 0)) return Promise.resolve();
    return this.#commits.commit(batches);
  }

  async #write(batches: readonly PersistBatch[]): Promise<void> {
    const tx = this.#db.transaction(['storageVersions', 'storageHints'], 'readwrite');
    const own = tx.objectStore('storageVersions');
    const hints = tx.objectStore('storageHints');
    // requests of one transaction run in the order they are made: a later step's write after an earlier step's delete
    const requests: Promise<unknown>[] = [];
    for (const b of batches) {
      for (const r of b.remove) requests.push(r.hint === undefined ? own.delete(r.digest) : hints.delete(hintKey(r.hint, r.digest)));
      for (const w of b.write) {
        const record = encodeRecord(w.record);
        requests.push(w.hint === undefined ? own.put({ record }, w.digest) : hints.put({ hint: w.hint, record }, hintKey(w.hint, w.digest)));
      }
    }
    // a failed request aborts the transaction; tx.done rejects with the cause (QuotaExceededError among them)
    for (const r of requests) r.catch(() => undefined);
    await tx.done;
  }

  async identity(account: string): Promise<StorageIdentity> {
    const kept = await this.#db.get('storageIdentity', account);
    if (kept) return { deviceId: kept.deviceId, readerKey: kept.readerKey ?? null, readerPublic: kept.readerPublic ?? null };
    const fresh = await newStorageIdentity();
    const record = { deviceId: fresh.deviceId, createdAt: Date.now(), ...(fresh.readerKey && fresh.readerPublic ? { readerKey: fresh.readerKey, readerPublic: fresh.readerPublic } : {}) };
    try {
      // add, not put: two starts racing keep one identity
      await this.#db.add('storageIdentity', record, account);
      return fresh;
    } catch (err) {
      const existing = await this.#db.get('storageIdentity', account);
      if (!existing) throw err;
      return { deviceId: existing.deviceId, readerKey: existing.readerKey ?? null, readerPublic: existing.readerPublic ?? null };
    }
  }

  async readerKeys(): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const tx = this.#db.transaction('readerKeys');
    for (let c = await tx.store.openCursor(); c; c = await c.continue()) out.set(c.key, c.value.key);
    return out;
  }

  async rememberReaderKeys(entries: ReadonlyArray<readonly [string, Uint8Array]>, now: number): Promise<void> {
    if (entries.length === 0) return;
    const tx = this.#db.transaction('readerKeys', 'readwrite');
    for (const [account, key] of entries) void tx.store.put({ key, seenAt: now }, account).catch(() => undefined);
    await tx.done;
  }

  async delivered(keys: readonly string[]): Promise<boolean[]> {
    const tx = this.#db.transaction('inboxDelivered');
    const found = await Promise.all(keys.map((k) => tx.store.getKey(k)));
    await tx.done;
    return found.map((k) => k !== undefined);
  }

  async markDelivered(keys: readonly string[], now: number): Promise<void> {
    if (keys.length === 0) return;
    const tx = this.#db.transaction('inboxDelivered', 'readwrite');
    for (const k of keys) void tx.store.put({ at: now }, k).catch(() => undefined);
    await tx.done;
  }

  async pruneDelivered(before: number): Promise<void> {
    const tx = this.#db.transaction('inboxDelivered', 'readwrite');
    for (let c = await tx.store.openCursor(); c; c = await c.continue()) if (c.value.at < before) void c.delete();
    await tx.done;
  }
}
