import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressFromPublicKey } from '../shared/chain/address.ts';
import { addressFromPkcs8, openBackup } from '../shared/crypto/backup.ts';
import { Ed25519Verifier } from '../shared/crypto/ed25519.ts';
import { StarError } from '../shared/errors.ts';
import { accountKeysFromRecord, loadOrCreateAccount, makeAccountRecord, newAccountPkcs8, restoreAccount, type AccountKeys } from './account-keys.ts';
import type { AccountRecord, StarDb } from './star-db.ts';

const PASS = 'a long enough passphrase';
const verifier = new Ed25519Verifier();

async function signsFor(keys: AccountKeys, pk: Uint8Array): Promise<boolean> {
  const message = crypto.getRandomValues(new Uint8Array(64));
  const sig = await keys.signer.sign(message);
  return verifier.verify({ pk, message, sig });
}

/** The account store of a StarDb, in memory; records go through structuredClone as IndexedDB would clone them. */
function memoryDb(): StarDb & { stored(): AccountRecord | undefined } {
  let current: AccountRecord | undefined;
  const fake = {
    async get(store: string) {
      assert.equal(store, 'account');
      return current && structuredClone(current);
    },
    async add(store: string, value: AccountRecord) {
      assert.equal(store, 'account');
      if (current) throw new DOMException('key exists', 'ConstraintError');
      current = structuredClone(value);
      return value.id;
    },
    async put(store: string, value: AccountRecord) {
      assert.equal(store, 'account');
      current = structuredClone(value);
      return value.id;
    },
    stored: () => current,
  };
  return fake as unknown as StarDb & { stored(): AccountRecord | undefined };
}

test('a created record holds only non-extractable keys and the PKCS#8 sealed', async () => {
  const pkcs8 = await newAccountPkcs8();
  const record = await makeAccountRecord(pkcs8, { now: 42 });
  assert.equal(record.id, 'current');
  assert.equal(record.createdAt, 42);
  assert.equal(record.address, addressFromPkcs8(pkcs8));
  assert.equal(record.address, addressFromPublicKey(record.pk));
  assert.ok(record.signKey, 'Node 22 has WebCrypto Ed25519, so a signKey is made');
  assert.equal(record.signKey.extractable, false);
  assert.equal(record.deviceKey.extractable, false);
  await assert.rejects(crypto.subtle.exportKey('pkcs8', record.signKey));
  await assert.rejects(crypto.subtle.exportKey('jwk', record.signKey));
  await assert.rejects(crypto.subtle.exportKey('raw', record.deviceKey));
  // the sealed copy does not contain the seed
  const seedHex = Buffer.from(pkcs8.subarray(16)).toString('hex');
  assert.ok(!Buffer.from(record.sealedPkcs8).toString('hex').includes(seedHex));
});

test('WebCrypto signatures verify against the record’s pk', async () => {
  const pkcs8 = await newAccountPkcs8();
  const record = await makeAccountRecord(pkcs8);
  pkcs8.fill(0); // the record must not depend on the caller's bytes
  const keys = await accountKeysFromRecord(record);
  assert.equal(keys.address, record.address);
  assert.deepEqual(keys.signer.pk, record.pk);
  assert.ok(await signsFor(keys, record.pk));
});

test('without WebCrypto Ed25519: a noble seed, no signKey, signatures still verify', async () => {
  const opts = { webCryptoEd25519: false };
  const pkcs8 = await newAccountPkcs8(opts);
  assert.equal(pkcs8.length, 48);
  const record = await makeAccountRecord(pkcs8, opts);
  assert.equal(record.signKey, undefined);
  const keys = await accountKeysFromRecord(record, opts);
  assert.ok(await signsFor(keys, record.pk));
});

test('backup then restore gives the same address and a signer for the same pk', async () => {
  const record = await makeAccountRecord(await newAccountPkcs8());
  const keys = await accountKeysFromRecord(record);
  const backup = await keys.exportBackup(PASS);
  assert.equal((JSON.parse(backup) as { kdf: { iterations: number } }).kdf.iterations, 600_000);

  const { pkcs8 } = await openBackup(backup, PASS);
  const restored = await makeAccountRecord(pkcs8);
  assert.equal(restored.address, record.address);
  assert.deepEqual(restored.pk, record.pk);
  const restoredKeys = await accountKeysFromRecord(restored);
  assert.ok(await signsFor(restoredKeys, record.pk));
  // a fresh device key: the restored record shares no secret with the old one
  assert.notDeepEqual(restored.sealedPkcs8, record.sealedPkcs8);
});

test('a noble-path account backs up and restores into a WebCrypto account', async () => {
  const noble = { webCryptoEd25519: false };
  const keys = await accountKeysFromRecord(await makeAccountRecord(await newAccountPkcs8(noble), noble), noble);
  const db = memoryDb();
  const restored = await restoreAccount(db, await keys.exportBackup(PASS), PASS);
  assert.equal(restored.address, keys.address);
  assert.ok(await signsFor(restored, keys.signer.pk));
  assert.ok(db.stored()?.signKey);
});

test('restore with a wrong passphrase is WRONG_PASSWORD and stores nothing', async () => {
  const keys = await accountKeysFromRecord(await makeAccountRecord(await newAccountPkcs8()));
  const backup = await keys.exportBackup(PASS);
  const db = memoryDb();
  await assert.rejects(restoreAccount(db, backup, 'not the passphrase'), (err: unknown) => err instanceof StarError && err.code === 'WRONG_PASSWORD');
  assert.equal(db.stored(), undefined);
});

test('exportBackup refuses a short passphrase', async () => {
  const keys = await accountKeysFromRecord(await makeAccountRecord(await newAccountPkcs8()));
  await assert.rejects(keys.exportBackup('short'), (err: unknown) => err instanceof StarError && err.code === 'INVALID_ARGUMENT');
});

test('loadOrCreateAccount creates once, then loads the same account (through a structured clone)', async () => {
  const db = memoryDb();
  const first = await loadOrCreateAccount(db);
  const again = await loadOrCreateAccount(db);
  assert.equal(again.address, first.address);
  assert.ok(await signsFor(again, first.signer.pk));
  assert.equal(db.stored()?.signKey?.extractable, false);
});

test('restoreAccount replaces an existing account', async () => {
  const db = memoryDb();
  const old = await loadOrCreateAccount(db);
  const other = await accountKeysFromRecord(await makeAccountRecord(await newAccountPkcs8()));
  const restored = await restoreAccount(db, await other.exportBackup(PASS), PASS);
  assert.equal(restored.address, other.address);
  assert.notEqual(restored.address, old.address);
  assert.equal((await loadOrCreateAccount(db)).address, other.address);
});

test('a record made without WebCrypto Ed25519 gains a non-extractable signKey when loaded where it exists', async () => {
  const db = memoryDb();
  const noble = { webCryptoEd25519: false };
  await db.put('account', await makeAccountRecord(await newAccountPkcs8(noble), noble));
  const keys = await loadOrCreateAccount(db);
  const stored = db.stored();
  assert.equal(stored?.signKey?.extractable, false);
  assert.ok(stored && (await signsFor(keys, stored.pk)));
});

test('a damaged record is refused, not used', async () => {
  const record = await makeAccountRecord(await newAccountPkcs8());
  const otherAddress = (await makeAccountRecord(await newAccountPkcs8())).address;
  await assert.rejects(accountKeysFromRecord({ ...record, address: otherAddress }), (err: unknown) => err instanceof StarError && err.code === 'MALFORMED');
  const flipped = record.sealedPkcs8.slice();
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  const keys = await accountKeysFromRecord({ ...record, sealedPkcs8: flipped });
  await assert.rejects(keys.exportBackup(PASS), (err: unknown) => err instanceof StarError && err.code === 'MALFORMED');
  await assert.rejects(accountKeysFromRecord({ ...record, sealedPkcs8: flipped }, { webCryptoEd25519: false }));
});
