/**
 * The account key in the worker. Where WebCrypto has Ed25519 the signing key is a
 * NON-extractable CryptoKey stored in IndexedDB, so page script (ours, a dApp's, an
 * injected one) can ask for signatures but can never read the key. Backups still need the
 * key's bytes, so a PKCS#8 copy is kept sealed with a non-extractable AES-GCM device key:
 * at rest it is useless outside this browser profile, and it is unsealed only for the
 * moment a backup is written (or, where WebCrypto lacks Ed25519, once at load so noble
 * can sign).
 *
 * The crypto is in pure functions (`makeAccountRecord`, `accountKeysFromRecord`) that unit
 * tests run in Node; `loadOrCreateAccount` and `restoreAccount` only add the IndexedDB
 * reads and writes. Callers hold the account lock (account-lock.ts) before calling them.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { addressFromPublicKey } from '../shared/chain/address.ts';
import { openBackup, pkcs8FromSeed, publicKeyFromPkcs8, sealBackup, seedFromPkcs8 } from '../shared/crypto/backup.ts';
import { webCryptoHasEd25519 } from '../shared/crypto/ed25519.ts';
import { generatePkcs8, webCryptoSigner, type Signer } from '../shared/crypto/signer.ts';
import { StarError } from '../shared/errors.ts';
import type { AccountRecord, StarDb } from './star-db.ts';

export interface AccountKeys {
  readonly signer: Signer;
  readonly address: string;
  /** A passphrase-encrypted backup file (JSON text, see shared/crypto/backup.ts). */
  exportBackup(passphrase: string): Promise<string>;
}

/** Whether to use WebCrypto Ed25519; defaults to probing the runtime. Tests force the noble path with `false`. */
export interface KeyOptions {
  webCryptoEd25519?: boolean;
}

const IV_BYTES = 12;

export async function loadOrCreateAccount(db: StarDb): Promise<AccountKeys> {
  const webCrypto = await webCryptoHasEd25519();
  let record = await db.get('account', 'current');
  if (!record) {
    const pkcs8 = await newAccountPkcs8({ webCryptoEd25519: webCrypto });
    try {
      record = await makeAccountRecord(pkcs8, { webCryptoEd25519: webCrypto });
    } finally {
      pkcs8.fill(0);
    }
    try {
      // add, not put: if another context created an account meanwhile, keep theirs rather than lose it
      await db.add('account', record);
    } catch (err) {
      const existing = isConstraintError(err) ? await db.get('account', 'current') : undefined;
      if (!existing) throw err;
      record = existing;
    }
  } else if (!record.signKey && webCrypto) {
    // made where WebCrypto lacked Ed25519 (or an older browser): move the key into a non-extractable CryptoKey
    record = await withSignKey(record);
    await db.put('account', record);
  }
  return accountKeysFromRecord(record, { webCryptoEd25519: webCrypto });
}

/** Opens a backup and makes it this browser's account, replacing any existing one. Backup errors pass through unchanged. */
export async function restoreAccount(db: StarDb, backupText: string, passphrase: string): Promise<AccountKeys> {
  const webCrypto = await webCryptoHasEd25519();
  const { pkcs8 } = await openBackup(backupText, passphrase);
  let record: AccountRecord;
  try {
    record = await makeAccountRecord(pkcs8, { webCryptoEd25519: webCrypto });
  } finally {
    pkcs8.fill(0);
  }
  await db.put('account', record);
  return accountKeysFromRecord(record, { webCryptoEd25519: webCrypto });
}

/** A fresh account key as PKCS#8: WebCrypto-generated where it can, else a random seed wrapped for noble. */
export async function newAccountPkcs8(opts?: KeyOptions): Promise<Uint8Array> {
  if (await useWebCrypto(opts)) return generatePkcs8();
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const pkcs8 = pkcs8FromSeed(seed);
  seed.fill(0);
  return pkcs8;
}

/**
 * The record to store for a PKCS#8 key. Does not keep `pkcs8`; the caller zeroes it.
 * Every CryptoKey in the record is non-extractable.
 */
export async function makeAccountRecord(pkcs8: Uint8Array, opts?: KeyOptions & { now?: number }): Promise<AccountRecord> {
  const pk = publicKeyFromPkcs8(pkcs8); // also rejects anything but a 48-byte Ed25519 PKCS#8
  const address = addressFromPublicKey(pk);
  const deviceKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const sealedIv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealedPkcs8 = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: sealedIv, additionalData: sealLabel(address) }, deviceKey, bytes(pkcs8)),
  );
  const record: AccountRecord = { id: 'current', pk, address, deviceKey, sealedIv, sealedPkcs8, createdAt: opts?.now ?? Date.now() };
  if (await useWebCrypto(opts)) record.signKey = await importSignKey(pkcs8);
  return record;
}

/** The signer and backup export for a stored record. */
export async function accountKeysFromRecord(record: AccountRecord, opts?: KeyOptions): Promise<AccountKeys> {
  if (record.pk.length !== 32 || addressFromPublicKey(record.pk) !== record.address) throw damaged();
  const signer = record.signKey && (await useWebCrypto(opts)) ? webCryptoSigner(record.signKey, record.pk) : await nobleSigner(record);
  return {
    signer,
    address: record.address,
    async exportBackup(passphrase) {
      const pkcs8 = await unsealPkcs8(record);
      try {
        return await sealBackup(pkcs8, passphrase);
      } finally {
        pkcs8.fill(0);
      }
    },
  };
}

/** The same record with a non-extractable WebCrypto signing key added. */
async function withSignKey(record: AccountRecord): Promise<AccountRecord> {
  const pkcs8 = await unsealPkcs8(record);
  try {
    return { ...record, signKey: await importSignKey(pkcs8) };
  } finally {
    pkcs8.fill(0);
  }
}

/** Without WebCrypto Ed25519 the seed must live in memory to sign; everything else about it is zeroed. */
async function nobleSigner(record: AccountRecord): Promise<Signer> {
  const pkcs8 = await unsealPkcs8(record);
  const seed = seedFromPkcs8(pkcs8).slice();
  pkcs8.fill(0);
  const pk = record.pk;
  return {
    pk,
    async sign(message) {
      return ed25519.sign(message, seed);
    },
  };
}

/** Unseals the PKCS#8 copy and checks it is this record's key. The caller zeroes the result. */
async function unsealPkcs8(record: AccountRecord): Promise<Uint8Array> {
  let pkcs8: Uint8Array;
  try {
    pkcs8 = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: bytes(record.sealedIv), additionalData: sealLabel(record.address) },
        record.deviceKey,
        bytes(record.sealedPkcs8),
      ),
    );
  } catch {
    throw damaged();
  }
  let matches = false;
  try {
    matches = addressFromPublicKey(publicKeyFromPkcs8(pkcs8)) === record.address;
  } catch {
    matches = false;
  }
  if (!matches) {
    pkcs8.fill(0);
    throw damaged();
  }
  return pkcs8;
}

function importSignKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', bytes(pkcs8), { name: 'Ed25519' }, false, ['sign']);
}

async function useWebCrypto(opts: KeyOptions | undefined): Promise<boolean> {
  return opts?.webCryptoEd25519 ?? (await webCryptoHasEd25519());
}

/** Binds the sealed copy to its record, so a sealed key cannot be moved under another address. */
function sealLabel(address: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`starweave-account-seal-1:${address}`) as Uint8Array<ArrayBuffer>;
}

/** WebCrypto's typings want ArrayBuffer-backed views; ours always are. */
function bytes(view: Uint8Array): Uint8Array<ArrayBuffer> {
  return view as Uint8Array<ArrayBuffer>;
}

function isConstraintError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ConstraintError';
}

function damaged(): StarError {
  return new StarError(
    'MALFORMED',
    'The account stored in this browser is damaged and cannot be used. Restore it from your backup file.',
  );
}
