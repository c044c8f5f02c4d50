import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, decodeCanonical, encodeCanonical } from './cbor.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('canonical CBOR', () => {
  it('matches the RFC 8949 deterministic encoding test vectors', () => {
    // map keys sorted bytewise by their encoding: "a" < "bb" < "ccc" regardless of insertion order
    assert.equal(hex(encodeCanonical({ ccc: 3, a: 1, bb: 2 })), 'a3616101626262026363636303');
    assert.equal(hex(encodeCanonical(0)), '00');
    assert.equal(hex(encodeCanonical(23)), '17');
    assert.equal(hex(encodeCanonical(24)), '1818');
    assert.equal(hex(encodeCanonical(1_000_000)), '1a000f4240');
    assert.equal(hex(encodeCanonical(-1)), '20');
    assert.equal(hex(encodeCanonical(1.5)), 'f93e00'); // shortest float that is exact
    assert.equal(hex(encodeCanonical(new Uint8Array([1, 2, 3]))), '43010203');
    assert.equal(hex(encodeCanonical('IETF')), '6449455446');
    assert.equal(hex(encodeCanonical([1, [2, 3]])), '8201820203');
  });

  it('round-trips values', () => {
    const value = { v: 1, topic: 'x', data: new Uint8Array([9, 8]), list: [true, null, 'é'] };
    assert.deepEqual(decodeCanonical(encodeCanonical(value)), value);
  });

  it('rejects non-canonical encodings so each value has exactly one valid encoding', () => {
    // 24 encoded with a 2-byte length where 1 byte suffices
    assert.throws(() => decodeCanonical(Uint8Array.from([0x19, 0x00, 0x18])), { code: 'MALFORMED' });
    // map with keys out of order: {"bb":2,"a":1}
    assert.throws(() => decodeCanonical(Buffer.from('a2626262026161 01'.replace(/ /g, ''), 'hex')), { code: 'MALFORMED' });
    // indefinite-length array
    assert.throws(() => decodeCanonical(Uint8Array.from([0x9f, 0x01, 0xff])), { code: 'MALFORMED' });
    // trailing garbage
    assert.throws(() => decodeCanonical(Uint8Array.from([0x01, 0x02])), { code: 'MALFORMED' });
    // duplicate keys {"a":1,"a":2}
    assert.throws(() => decodeCanonical(Buffer.from('a2616101616102', 'hex')), { code: 'MALFORMED' });
    // undefined is not a Starweave value
    assert.throws(() => decodeCanonical(Uint8Array.from([0xf7])), { code: 'MALFORMED' });
  });

  it('compares bytes', () => {
    assert.equal(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
    assert.equal(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
    assert.equal(bytesEqual(new Uint8Array([1]), new Uint8Array([1, 2])), false);
  });
});
