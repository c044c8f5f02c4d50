import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { base64 } from '@scure/base';
import { addressFromPublicKey } from '../chain/address.ts';
import { addressFromPkcs8, openBackup, pkcs8FromSeed, sealBackup, seedFromPkcs8, type BackupFile } from './backup.ts';
import { generatePkcs8 } from './signer.ts';
import { rejectsWith } from '../test-assert.ts';

const PASS = 'correct horse battery staple';
const FAST = { iterations: 1000 };

function edit(text: string, change: (file: BackupFile) => void): string {
  const file = JSON.parse(text) as BackupFile;
  change(file);
  return JSON.stringify(file);
}

test('round trip with the default iterations returns the same key and address', async () => {
  const pkcs8 = await generatePkcs8();
  const text = await sealBackup(pkcs8, PASS);
  const file = JSON.parse(text) as BackupFile;
  assert.equal(file.format, 'starweave-backup-1');
  assert.equal(file.kdf.iterations, 600_000);
  assert.equal(base64.decode(file.kdf.salt).length, 16);
  assert.equal(base64.decode(file.cipher.iv).length, 12);
  assert.equal(file.address, addressFromPkcs8(pkcs8));
  const opened = await openBackup(text, PASS);
  assert.deepEqual(opened.pkcs8, pkcs8);
  assert.equal(opened.address, file.address);
});

test('round trip of a noble seed wrapped as PKCS#8; the address is the seed’s public key', async () => {
  const seed = new Uint8Array(32).fill(9);
  const pkcs8 = pkcs8FromSeed(seed);
  const opened = await openBackup(await sealBackup(pkcs8, PASS, FAST), PASS);
  assert.deepEqual(seedFromPkcs8(opened.pkcs8), seed);
  assert.equal(opened.address, addressFromPublicKey(ed25519.getPublicKey(seed)));
});

test('two seals of one key differ (fresh salt and iv)', async () => {
  const pkcs8 = await generatePkcs8();
  const a = JSON.parse(await sealBackup(pkcs8, PASS, FAST)) as BackupFile;
  const b = JSON.parse(await sealBackup(pkcs8, PASS, FAST)) as BackupFile;
  assert.notEqual(a.kdf.salt, b.kdf.salt);
  assert.notEqual(a.ciphertext, b.ciphertext);
});

test('a wrong passphrase is WRONG_PASSWORD, including a different case', async () => {
  const text = await sealBackup(await generatePkcs8(), PASS, FAST);
  await rejectsWith(openBackup(text, 'wrong horse battery staple'), 'WRONG_PASSWORD');
  await rejectsWith(openBackup(text, PASS.toUpperCase()), 'WRONG_PASSWORD');
  await rejectsWith(openBackup(text, ''), 'WRONG_PASSWORD');
});

test('the passphrase is NFC-normalized: composed and decomposed accents open the same backup', async () => {
  const text = await sealBackup(await generatePkcs8(), 'caf\u00e9 au lait', FAST);
  const opened = await openBackup(text, 'cafe\u0301 au lait');
  assert.equal(opened.pkcs8.length, 48);
});

test('a tampered ciphertext is WRONG_PASSWORD, never a different key', async () => {
  const text = await sealBackup(await generatePkcs8(), PASS, FAST);
  const tampered = edit(text, (f) => {
    const bytes = base64.decode(f.ciphertext);
    bytes[5] = (bytes[5] ?? 0) ^ 1;
    f.ciphertext = base64.encode(bytes);
  });
  await rejectsWith(openBackup(tampered, PASS), 'WRONG_PASSWORD');
});

test('a swapped address does not open (it is AES-GCM additional data)', async () => {
  const text = await sealBackup(await generatePkcs8(), PASS, FAST);
  const other = addressFromPkcs8(await generatePkcs8());
  await rejectsWith(openBackup(edit(text, (f) => (f.address = other)), PASS), 'WRONG_PASSWORD');
});

test('a key that does not match its named address is refused even when it decrypts', async () => {
  // Only someone holding the passphrase can build this file; it must still not yield a key.
  const pkcs8 = await generatePkcs8();
  const wrongAddress = addressFromPkcs8(await generatePkcs8());
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(PASS), 'PBKDF2', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(wrongAddress) }, key, pkcs8 as Uint8Array<ArrayBuffer>),
  );
  const forged: BackupFile = {
    format: 'starweave-backup-1',
    address: wrongAddress,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: 1000, salt: base64.encode(salt) },
    cipher: { name: 'AES-GCM', iv: base64.encode(iv) },
    ciphertext: base64.encode(ciphertext),
  };
  const err = await rejectsWith(openBackup(JSON.stringify(forged), PASS), 'INVALID_ARGUMENT');
  assert.match(err.message, /does not belong to the address/);
});

test('malformed text is INVALID_ARGUMENT with a reason', async () => {
  const good = await sealBackup(await generatePkcs8(), PASS, FAST);
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '', /not JSON/],
    ['not JSON', 'hello', /not JSON/],
    ['array', '[]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['other format', edit(good, (f) => ((f as { format: string }).format = 'other-1')), /format/],
    ['other kdf', edit(good, (f) => ((f.kdf as { hash: string }).hash = 'SHA-1')), /PBKDF2/],
    ['huge iterations', edit(good, (f) => (f.kdf.iterations = 1e12)), /iteration/],
    ['tiny iterations', edit(good, (f) => (f.kdf.iterations = 1)), /iteration/],
    ['fractional iterations', edit(good, (f) => (f.kdf.iterations = 1000.5)), /iteration/],
    ['string iterations', edit(good, (f) => ((f.kdf as { iterations: unknown }).iterations = '1000')), /iteration/],
    ['other cipher', edit(good, (f) => ((f.cipher as { name: string }).name = 'AES-CBC')), /AES-GCM/],
    ['bad address', edit(good, (f) => (f.address = 'sw1notanaddress')), /address/],
    ['no address', edit(good, (f) => delete (f as Partial<BackupFile>).address), /address/],
    ['bad base64', edit(good, (f) => (f.ciphertext = '!!!')), /ciphertext/],
    ['short ciphertext', edit(good, (f) => (f.ciphertext = f.ciphertext.slice(0, 40))), /ciphertext/],
    ['short iv', edit(good, (f) => (f.cipher.iv = base64.encode(new Uint8Array(8)))), /iv/],
    ['short salt', edit(good, (f) => (f.kdf.salt = base64.encode(new Uint8Array(4)))), /salt/],
    ['huge', ' '.repeat(100_000), /characters long/],
  ];
  for (const [name, text, reason] of cases) {
    const err = await rejectsWith(openBackup(text, PASS), 'INVALID_ARGUMENT');
    assert.match(err.message, reason, name);
  }
});

test('a passphrase shorter than 8 characters is refused when sealing', async () => {
  const pkcs8 = await generatePkcs8();
  const err = await rejectsWith(sealBackup(pkcs8, 'short', FAST), 'INVALID_ARGUMENT');
  assert.match(err.message, /at least 8 characters/);
  // counted in characters, not UTF-16 units: 4 emoji are 4 characters
  await rejectsWith(sealBackup(pkcs8, '🔑🔑🔑🔑', FAST), 'INVALID_ARGUMENT');
  await sealBackup(pkcs8, '12345678', FAST);
});

test('sealing refuses something that is not a 48-byte Ed25519 PKCS#8', async () => {
  await rejectsWith(sealBackup(new Uint8Array(48), PASS, FAST), 'INVALID_ARGUMENT');
  await rejectsWith(sealBackup(new Uint8Array(32).fill(1), PASS, FAST), 'INVALID_ARGUMENT');
  await rejectsWith(sealBackup(await generatePkcs8(), PASS, { iterations: 10 }), 'INVALID_ARGUMENT');
});
