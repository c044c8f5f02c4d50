import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressFromPublicKey } from '../../shared/chain/address.ts';
import { checkAddress, checkData, checkOwnKey, checkOwner, checkPrefix, checkPutOptions, checkReadKey } from './storage-args.ts';

const alice = addressFromPublicKey(new Uint8Array(32).fill(1));
const bob = addressFromPublicKey(new Uint8Array(32).fill(2));
// one character changed: the checksum no longer matches
const typo = alice.slice(0, -1) + (alice.endsWith('q') ? 'p' : 'q');

describe('storage arguments', () => {
  it('keys: non-empty strings of at most 256 UTF-8 bytes, no control characters, not under inbox/', () => {
    assert.equal(checkOwnKey('put', 'notes/today'), 'notes/today');
    assert.equal(checkOwnKey('put', 'é'.repeat(128)), 'é'.repeat(128));
    assert.throws(() => checkOwnKey('put', 'é'.repeat(129)), { code: 'INVALID_ARGUMENT', message: /258 bytes of UTF-8; at most 256/ });
    assert.throws(() => checkOwnKey('put', ''), { code: 'INVALID_ARGUMENT', message: /^put: key must be a non-empty string/ });
    assert.throws(() => checkOwnKey('put', 7), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => checkOwnKey('put', 'a\nb'), { code: 'INVALID_ARGUMENT', message: /control characters/ });
    assert.throws(() => checkOwnKey('delete', 'inbox/x'), { code: 'INVALID_ARGUMENT', message: /star\.send/ });
    // reading one's own inbox keys is fine
    assert.equal(checkReadKey('get', 'inbox/x'), 'inbox/x');
    assert.equal(checkPrefix('list', ''), '');
    assert.equal(checkPrefix('list', 'inbox/'), 'inbox/');
    assert.throws(() => checkPrefix('list', undefined), { code: 'INVALID_ARGUMENT' });
  });

  it('addresses: a typo is INVALID_ADDRESS before anything reaches the worker', () => {
    assert.equal(checkAddress('send', ` ${bob} `, '`to`'), bob);
    assert.throws(() => checkAddress('send', typo, '`to`'), { code: 'INVALID_ADDRESS', message: /typo/ });
    assert.throws(() => checkAddress('send', 42, '`to`'), { code: 'INVALID_ADDRESS' });
    assert.equal(checkOwner('get', undefined), undefined);
    assert.throws(() => checkOwner('get', typo), { code: 'INVALID_ADDRESS' });
  });

  it('values: strings or bytes up to 64 KiB', () => {
    assert.equal(checkData('put', 'hi', 'value'), 'hi');
    assert.ok(checkData('put', new Uint8Array(65_536), 'value') instanceof Uint8Array);
    assert.throws(() => checkData('put', new Uint8Array(65_537), 'value'), { code: 'MESSAGE_TOO_LARGE' });
    assert.throws(() => checkData('put', { a: 1 }, 'value'), { code: 'INVALID_ARGUMENT', message: /string or a Uint8Array/ });
    assert.throws(() => checkData('send', null, 'message'), { code: 'INVALID_ARGUMENT' });
  });

  it('readers: an array of addresses, duplicates folded; absent means public', () => {
    assert.deepEqual(checkPutOptions('put', undefined), {});
    assert.deepEqual(checkPutOptions('put', {}), {});
    assert.deepEqual(checkPutOptions('put', { readers: [] }), { readers: [] });
    assert.deepEqual(checkPutOptions('put', { readers: [bob, bob, alice] }), { readers: [bob, alice] });
    assert.throws(() => checkPutOptions('put', { readers: bob }), { code: 'INVALID_ARGUMENT', message: /array of addresses/ });
    assert.throws(() => checkPutOptions('put', { readers: [bob, typo] }), { code: 'INVALID_ADDRESS' });
    assert.throws(() => checkPutOptions('put', 'private'), { code: 'INVALID_ARGUMENT' });
  });
});
