/**
 * Encrypted account backups: the account's Ed25519 PKCS#8 sealed with a passphrase, as a
 * small JSON file a person can keep anywhere. WebCrypto only (PBKDF2-HMAC-SHA256 →
 * AES-256-GCM), so the same code runs in browsers, workers and Node 22.
 *
 * The file names its account address, and that address is AES-GCM additional data, so a
 * file whose address was edited does not open. After decrypting, the key's own public key
 * must give that address: a backup never yields a silently wrong key.
 *
 * This module also owns the one PKCS#8 shape Starweave handles (RFC 8410 v1, 48 bytes:
 * a fixed 16-byte prefix, then the 32-byte Ed25519 seed), which every browser exports.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { base64 } from '@scure/base';
import { addressFromPublicKey, publicKeyFromAddress } from '../chain/address.ts';
import { StarError } from '../errors.ts';

export const BACKUP_FORMAT = 'starweave-backup-1';
/** OWASP (2023) minimum for PBKDF2-HMAC-SHA256. */
export const DEFAULT_BACKUP_ITERATIONS = 600_000;
export const MIN_PASSPHRASE_CHARS = 8;
/** Low bound only so tests can seal quickly; the high bound keeps a hostile file from hanging the worker for minutes. */
const MIN_ITERATIONS = 1_000;
const MAX_ITERATIONS = 10_000_000;
/** A real backup is ~400 bytes; refuse to parse anything much larger. */
const MAX_BACKUP_CHARS = 16_384;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

export const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
export const PKCS8_ED25519_BYTES = PKCS8_ED25519_PREFIX.length + 32;

/** The JSON text of a backup file, as written by `sealBackup`. */
export interface BackupFile {
  format: typeof BACKUP_FORMAT;
  address: string;
  kdf: { name: 'PBKDF2'; hash: 'SHA-256'; iterations: number; salt: string };
  cipher: { name: 'AES-GCM'; iv: string };
  ciphertext: string;
}

/** Wraps a 32-byte Ed25519 seed as PKCS#8 (for runtimes whose WebCrypto cannot generate Ed25519 keys). */
export function pkcs8FromSeed(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new StarError('INVALID_ARGUMENT', `an Ed25519 seed has 32 bytes, not ${seed.length}`);
  const out = new Uint8Array(PKCS8_ED25519_BYTES);
  out.set(PKCS8_ED25519_PREFIX);
  out.set(seed, PKCS8_ED25519_PREFIX.length);
  return out;
}

/** The seed inside a PKCS#8 key, as a view (zeroing the PKCS#8 zeroes it too). */
export function seedFromPkcs8(pkcs8: Uint8Array): Uint8Array {
  const ok = pkcs8.length === PKCS8_ED25519_BYTES && PKCS8_ED25519_PREFIX.every((b, i) => pkcs8[i] === b);
  if (!ok) throw new StarError('INVALID_ARGUMENT', 'this is not an Ed25519 private key in the 48-byte PKCS#8 form Starweave uses');
  return pkcs8.subarray(PKCS8_ED25519_PREFIX.length);
}

export function publicKeyFromPkcs8(pkcs8: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seedFromPkcs8(pkcs8));
}

export function addressFromPkcs8(pkcs8: Uint8Array): string {
  return addressFromPublicKey(publicKeyFromPkcs8(pkcs8));
}

export async function sealBackup(pkcs8: Uint8Array, passphrase: string, opts?: { iterations?: number }): Promise<string> {
  const secret = normalizePassphrase(passphrase);
  if ([...secret].length < MIN_PASSPHRASE_CHARS) {
    throw new StarError(
      'INVALID_ARGUMENT',
      `a backup passphrase needs at least ${MIN_PASSPHRASE_CHARS} characters; a longer phrase of several words is both safer and easier to remember`,
    );
  }
  const iterations = opts?.iterations ?? DEFAULT_BACKUP_ITERATIONS;
  if (!validIterations(iterations)) {
    throw new StarError('INVALID_ARGUMENT', `backup iterations must be a whole number from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}, not ${iterations}`);
  }
  const address = addressFromPkcs8(pkcs8);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const key = await passphraseKey(secret, salt, iterations, 'encrypt');
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8(address) }, key, pkcs8 as Uint8Array<ArrayBuffer>),
  );
  const file: BackupFile = {
    format: BACKUP_FORMAT,
    address,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: base64.encode(salt) },
    cipher: { name: 'AES-GCM', iv: base64.encode(iv) },
    ciphertext: base64.encode(ciphertext),
  };
  return JSON.stringify(file, null, 2);
}

/** Opens a backup file. The caller owns the returned PKCS#8 and should zero it once imported. */
export async function openBackup(text: string, passphrase: string): Promise<{ pkcs8: Uint8Array; address: string }> {
  const file = parseBackup(text);
  const secret = normalizePassphrase(passphrase);
  // No backup can have been sealed with a shorter passphrase: skip the slow key derivation.
  if ([...secret].length < MIN_PASSPHRASE_CHARS) throw wrongPassword();
  const key = await passphraseKey(secret, file.salt, file.iterations, 'decrypt');
  let pkcs8: Uint8Array;
  try {
    pkcs8 = new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: file.iv, additionalData: utf8(file.address) }, key, file.ciphertext),
    );
  } catch {
    // AES-GCM cannot tell a wrong passphrase from an edited file; the passphrase is by far the likelier cause.
    throw wrongPassword();
  }
  let derived: string;
  try {
    derived = addressFromPkcs8(pkcs8);
  } catch {
    derived = '';
  }
  if (derived !== file.address) {
    pkcs8.fill(0);
    throw new StarError('INVALID_ARGUMENT', 'This backup’s key does not belong to the address it names, so it was not made by Starweave or was altered. Use another copy of the backup.');
  }
  return { pkcs8, address: file.address };
}

interface ParsedBackup {
  address: string;
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  iv: Uint8Array<ArrayBuffer>;
  ciphertext: Uint8Array<ArrayBuffer>;
}

/** Checks every field before any key derivation runs, and says what is wrong. */
function parseBackup(text: string): ParsedBackup {
  const invalid = (what: string): StarError =>
    new StarError('INVALID_ARGUMENT', `This is not a usable Starweave backup: ${what}. Choose the backup file you saved from the wallet (it starts with {"format": "${BACKUP_FORMAT}").`);
  if (typeof text !== 'string') throw invalid('no text was given');
  if (text.length > MAX_BACKUP_CHARS) throw invalid(`it is ${text.length} characters long, far more than a backup`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('it is not JSON text');
  }
  const file = record(json);
  if (!file) throw invalid('it is not a JSON object');
  if (file.format !== BACKUP_FORMAT) throw invalid(`its format is ${JSON.stringify(file.format) ?? 'missing'}, not "${BACKUP_FORMAT}"`);
  const kdf = record(file.kdf);
  if (!kdf || kdf.name !== 'PBKDF2' || kdf.hash !== 'SHA-256') throw invalid('its key derivation is not PBKDF2 with SHA-256');
  if (!validIterations(kdf.iterations)) throw invalid(`its iteration count must be a whole number from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
  const cipher = record(file.cipher);
  if (!cipher || cipher.name !== 'AES-GCM') throw invalid('its cipher is not AES-GCM');
  if (typeof file.address !== 'string') throw invalid('it names no account address');
  try {
    publicKeyFromAddress(file.address);
  } catch {
    throw invalid(`its address "${file.address}" is not a valid Starweave address`);
  }
  const salt = bytesField(kdf.salt);
  const iv = bytesField(cipher.iv);
  const ciphertext = bytesField(file.ciphertext);
  if (!salt || salt.length < SALT_BYTES) throw invalid(`its salt is missing or shorter than ${SALT_BYTES} bytes`);
  if (!iv || iv.length !== IV_BYTES) throw invalid(`its iv is missing or not ${IV_BYTES} bytes`);
  if (!ciphertext || ciphertext.length !== PKCS8_ED25519_BYTES + GCM_TAG_BYTES) throw invalid('its ciphertext is missing or cut short');
  return { address: file.address, iterations: kdf.iterations as number, salt, iv, ciphertext };
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function bytesField(value: unknown): Uint8Array<ArrayBuffer> | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new Uint8Array(base64.decode(value));
  } catch {
    return undefined;
  }
}

function validIterations(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= MIN_ITERATIONS && n <= MAX_ITERATIONS;
}

/** NFC, so the same passphrase typed on another keyboard or OS derives the same key. Not trimmed: every character counts. */
function normalizePassphrase(passphrase: string): string {
  if (typeof passphrase !== 'string') throw new StarError('INVALID_ARGUMENT', 'the backup passphrase must be text');
  return passphrase.normalize('NFC');
}

async function passphraseKey(passphrase: string, salt: Uint8Array<ArrayBuffer>, iterations: number, use: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const raw = utf8(passphrase);
  const material = await crypto.subtle.importKey('raw', raw, 'PBKDF2', false, ['deriveKey']);
  raw.fill(0);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material, { name: 'AES-GCM', length: 256 }, false, [use]);
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

function wrongPassword(): StarError {
  return new StarError('WRONG_PASSWORD', 'That passphrase does not open this backup. Passphrases are case-sensitive; check it and try again.');
}
