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
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export const DB_NAME = 'starweave';
export const DB_VERSION = 2;

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

export interface StarSchema extends DBSchema {
  account: { key: 'current'; value: AccountRecord };
  blocks: { key: number; value: { bytes: Uint8Array } };
  proofs: { key: number; value: { kind: 'double-block' | 'double-agreement'; a: Uint8Array; b: Uint8Array } };
  blackhole: { key: number; value: { bytes: Uint8Array } };
  finalEffects: { key: string; value: { account: string; delta: number } };
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
    },
  });
}
