import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressFromPublicKey, isAddress, publicKeyFromAddress } from './address.ts';

const pk = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('account address (bech32m, prefix sw)', () => {
  it('has a fixed text form (test vector, checked against the BIP-350 reference code) and round-trips', () => {
    const address = addressFromPublicKey(pk);
    assert.equal(address, 'sw1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0stjlu5c');
    assert.deepEqual(publicKeyFromAddress(address), pk);
  });

  it('catches every single-character typo before anything is signed', () => {
    const address = addressFromPublicKey(pk);
    const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
    for (let i = 3; i < address.length; i++) {
      const swapped = alphabet[(alphabet.indexOf(address[i]!) + 1) % alphabet.length]!;
      const typo = address.slice(0, i) + swapped + address.slice(i + 1);
      assert.throws(() => publicKeyFromAddress(typo), { code: 'INVALID_ADDRESS', message: /typo/ }, typo);
    }
  });

  it('rejects other prefixes, empty input and mixed case with a clear error', () => {
    assert.throws(() => publicKeyFromAddress(''), { code: 'INVALID_ADDRESS', message: /sw1/ });
    const other = addressFromPublicKey(pk).replace(/^sw/, 'bc');
    assert.equal(isAddress(other), false);
    const address = addressFromPublicKey(pk);
    assert.equal(isAddress(address.slice(0, 10) + address.slice(10).toUpperCase()), false);
    assert.equal(isAddress(address.toUpperCase()), true); // all upper case is valid bech32
  });
});
