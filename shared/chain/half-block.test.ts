import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { encodeCanonical } from '../codec/cbor.ts';
import { addressFromPublicKey } from './address.ts';
import { decodeHalfBlock, encodeHalfBlock, halfBlockHash, signingBytes } from './half-block.ts';
import { nextBlock, testAccount, verifyHalfBlock } from './test-signer.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const vectors = JSON.parse(readFileSync(new URL('./half-block.vectors.json', import.meta.url), 'utf8')) as {
  vectors: Array<{ name: string; secretSeedByte: number; linkSecretSeedByte: number; amount: number; memo: string; time: number; address: string; signingBytes: string; encoded: string; hash: string }>;
};
const alice = testAccount(1);
const bob = testAccount(2);

describe('half-block encoding', () => {
  const block = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 25, memo: 'tea', time: 1_763_700_000_000 });

  it('matches the test vectors in half-block.vectors.json (bytes signed, encoding, hash, address)', () => {
    for (const v of vectors.vectors) {
      const signer = testAccount(v.secretSeedByte);
      const b = nextBlock(signer, undefined, { linkPk: testAccount(v.linkSecretSeedByte).pk, amount: v.amount, memo: v.memo, time: v.time });
      assert.equal(hex(signingBytes(b)), v.signingBytes, v.name);
      assert.equal(hex(encodeHalfBlock(b)), v.encoded, v.name);
      assert.equal(hex(halfBlockHash(b)), v.hash, v.name);
      assert.equal(addressFromPublicKey(signer.pk), v.address, v.name);
      assert.equal(verifyHalfBlock(b), true, v.name);
    }
  });

  it('round-trips through its canonical encoding', () => {
    const decoded = decodeHalfBlock(encodeHalfBlock(block));
    assert.equal(decoded.ok, true);
    if (decoded.ok) assert.deepEqual(decoded.value, block);
  });

  it('rejects each malformed shape with a reason', () => {
    const fields = { v: 1, pk: block.pk, seq: 1, prev: block.prev, linkPk: block.linkPk, linkSeq: 0, kind: 'transfer', payload: { amount: 25, memo: 'tea' }, time: 1, sig: block.sig };
    const broken: Array<[string, Record<string, unknown>]> = [
      ['version', { v: 2 }],
      ['short key', { pk: new Uint8Array(31) }],
      ['short prev', { prev: new Uint8Array(31) }],
      ['short sig', { sig: new Uint8Array(63) }],
      ['seq 0', { seq: 0 }],
      ['negative linkSeq', { linkSeq: -1 }],
      ['fractional time', { time: 1.5 }],
      ['unknown kind', { kind: 'mint' }],
      ['payload shape', { payload: { amount: 1 } }],
      ['payload amount type', { payload: { amount: '1', memo: '' } }],
      ['extra field', { extra: true }],
    ];
    for (const [name, patch] of broken) {
      const result = decodeHalfBlock(encodeCanonical({ ...fields, ...patch } as never));
      assert.equal(result.ok, false, name);
    }
    assert.equal(decodeHalfBlock(new Uint8Array(2048)).ok, false, 'oversized');
    assert.equal(decodeHalfBlock(Uint8Array.from([0xff])).ok, false, 'not CBOR');
  });
});
