/**
 * The Star's IndexedDB schema (one database per browser profile and origin), opened with
 * `idb`. Every store is written by the worker only, and only while it holds the account
 * lock, so two tabs never write one account's data at once.
 *
 *   account   'current' → the account record (keys: see account-keys.ts)
 *   blocks    auto-increment → { bytes } every accepted half-block, in acceptance order
 *             (replayed in that order at start; that order is also what sync answers use)
 *   proofs    auto-increment → { a, b, kind } fraud proofs, permanent evidence
 *   blackhole height → { bytes } every quorum-verified Blackhole block this Star followed
 *             (heights 1.. without gaps; replayed at start, so a reload only catches up
 *             what it missed)                                              (version 2)
 *   finalEffects half-block hash (hex) → { account, delta }: final blocks this Star's ledger
 *             does not hold (a fork's twin that won), learned from certified checkpoints,
 *             so final balances survive a reload                             (version 2)
 *   storageVersions  record digest (hex) → { record }: this Star's own shard of the storage
 *             ring, each version as its signed record's canonical bytes   (version 3)
 *   storageHints  '<intended member hex>|<digest>' → { hint, record }: versions kept for a
 *             Star that was away (hinted handoff)                          (version 3)
 *   storageIdentity  account pk hex → the storage device id (this browser's vector-clock
 *             writer id) and the account's X25519 reader key, non-extractable (version 3)
 *   readerKeys  account pk hex → { key, seenAt }: other accounts' X25519 reader keys seen in
 *             their presence records, so a private value can be sealed for a reader that
 *             is offline now but was online once                           (version 3)
 *   inboxDelivered  '<sender hex>/<message id>' → { at }: inbox messages already raised as
 *             'message' events, so a reload does not raise them again     (version 3)
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export const DB_NAME = 'starweave';
export const DB_VERSION = 3;

export interface AccountRecord {
  id: 'current';
  pk: Uint8Array;
  address: string;
  /** present when this browser has WebCrypto Ed25519: the non-extractable signing key */
  signKey?: CryptoKey;
  /** non-extractable AES-GCM key that seals the PKCS#8 copy kept for backups */
  deviceKey: CryptoKey;
  sealedIv: Uint8Array;
  sealedPkcs8: Uint8Array;
  createdAt: number;
}

/** this browser's storage identity for one account (see worker/storage-store.ts) */
export interface StorageIdentityRecord {
  /** the vector-clock writer id of this browser (random; a restored account on another device gets its own) */
  deviceId: string;
  /** non-extractable X25519 private key (deriveBits); absent where WebCrypto lacks X25519 */
  readerKey?: CryptoKey;
  /** its raw public key, published in presence */
  readerPublic?: Uint8Array;
  createdAt: number;
}

export interface StarSchema extends DBSchema {
  account: { key: 'current'; value: AccountRecord };
  blocks: { key: number; value: { bytes: Uint8Array } };
  proofs: { key: number; value: { kind: 'double-block' | 'double-agreement'; a: Uint8Array; b: Uint8Array } };
  blackhole: { key: number; value: { bytes: Uint8Array } };
  finalEffects: { key: string; value: { account: string; delta: number } };
  storageVersions: { key: string; value: { record: Uint8Array } };
  storageHints: { key: string; value: { hint: string; record: Uint8Array } };
  storageIdentity: { key: string; value: StorageIdentityRecord };
  readerKeys: { key: string; value: { key: Uint8Array; seenAt: number } };
  inboxDelivered: { key: string; value: { at: number } };
}

export type StarDb = IDBPDatabase<StarSchema>;

export function openStarDb(name = DB_NAME): Promise<StarDb> {
  return openDB<StarSchema>(name, DB_VERSION, {
    // each version adds stores; a browser with an older database gets only what it lacks
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('account', { keyPath: 'id' });
        db.createObjectStore('blocks', { autoIncrement: true });
        db.createObjectStore('proofs', { autoIncrement: true });
      }
      if (oldVersion < 2) {
        db.createObjectStore('blackhole');
        db.createObjectStore('finalEffects');
      }
      if (oldVersion < 3) {
        db.createObjectStore('storageVersions');
        db.createObjectStore('storageHints');
        db.createObjectStore('storageIdentity');
        db.createObjectStore('readerKeys');
        db.createObjectStore('inboxDelivered');
      }
    },
  });
}
