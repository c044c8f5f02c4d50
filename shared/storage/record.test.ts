import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { decodeCanonical, encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { fromHex, toHex } from '../codec/hex.ts';
import { Ed25519Verifier } from '../crypto/ed25519.ts';
import type { Signer } from '../crypto/signer.ts';
import { StarError } from '../errors.ts';
import { EMPTY_MERKLE_ROOT } from '../finality/merkle.ts';
import {
  authorityProblem,
  decodeRecord,
  encodeRecord,
  inboxName,
  MAX_CLOCK_ENTRIES,
  MAX_NAME_BYTES,
  MAX_RECORD_BYTES,
  MAX_VALUE_BYTES,
  parseInboxName,
  recordDigest,
  recordKey,
  recordProblem,
  recordSigningBytes,
  recordVerifyItem,
  SEGMENT_BYTES,
  segmentCount,
  segmentsRootOf,
  signingBytesOf,
  signRecord,
  valueSegments,
  type UnsignedRecord,
} from './record.ts';
import { testWriter, verifyRecord } from './test-writer.ts';
import type { SignedRecord } from './types.ts';

const vectors = JSON.parse(readFileSync(new URL('./record.vectors.json', import.meta.url), 'utf8')) as {
  vectors: Array<{
    name: string;
    signerSeedByte: number;
    ownerSeedByte: number;
    key: string;
    value: string | null;
    clock: Record<string, number>;
    time: number;
    sealed: boolean;
    segmentsRoot: string;
    signingBytes: string;
    encoded: string;
    digest: string;
  }>;
};

const alice = testWriter(1);
const bob = testWriter(2);
const carol = testWriter(3);
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const hexOf = (b: Uint8Array) => toHex(b);

function reason(bytes: Uint8Array): string {
  const d = decodeRecord(bytes);
  assert.equal(d.ok, false, 'expected the record to be rejected');
  return (d as { reason: string }).reason;
}

/** a record's CBOR map with some fields replaced (or removed with undefined), re-encoded canonically */
function reencode(r: SignedRecord, change: Record<string, CborValue | undefined>): Uint8Array {
  const map = decodeCanonical(encodeRecord(r)) as Record<string, CborValue>;
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete map[k];
    else map[k] = v;
  }
  return encodeCanonical(map);
}

/** the spec's segment root, written out without record.ts or merkle.ts helpers */
function referenceSegmentsRoot(value: Uint8Array | null): Uint8Array {
  if (value === null) return sha256(Uint8Array.of(2));
  const segs: Uint8Array[] = [];
  for (let at = 0; at < value.length || segs.length === 0; at += 1024) segs.push(value.slice(at, at + 1024));
  let level: Uint8Array[] = segs.map((s) => sha256(Uint8Array.of(0, ...s)));
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? sha256(Uint8Array.of(1, ...level[i]!, ...level[i + 1]!)) : level[i]!);
    level = up;
  }
  return level[0]!;
}

describe('storage records', () => {
  it('match the test vectors in record.vectors.json (bytes signed, encoding, digest, segment root)', () => {
    assert.ok(vectors.vectors.length >= 4);
    for (const v of vectors.vectors) {
      const value = v.value === null ? null : fromHex(v.value)!;
      const owner = testWriter(v.ownerSeedByte).pk;
      const r = testWriter(v.signerSeedByte).write(v.key, value, v.clock, { owner, time: v.time, sealed: v.sealed });
      assert.equal(hexOf(recordSigningBytes(r)), v.signingBytes, v.name);
      assert.equal(hexOf(encodeRecord(r)), v.encoded, v.name);
      assert.equal(recordDigest(r), v.digest, v.name);
      assert.equal(toHex(sha256(fromHex(v.encoded)!)), v.digest, v.name);
      assert.equal(hexOf(r.segmentsRoot), v.segmentsRoot, v.name);
      assert.equal(hexOf(referenceSegmentsRoot(value)), v.segmentsRoot, `${v.name}: reference root`);
      const d = decodeRecord(fromHex(v.encoded)!);
      assert.ok(d.ok, d.ok ? '' : `${v.name}: ${d.reason}`);
      assert.deepEqual(d.value, r, v.name);
      assert.ok(verifyRecord(d.value), v.name);
    }
  });

  it('round-trip through the canonical encoding at every size edge', () => {
    const sizes = [0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES, MAX_VALUE_BYTES - 1, MAX_VALUE_BYTES];
    const names = ['a', 'photos/2025/cat.jpg', 'ünïcødé ✓ 😀', 'x'.repeat(MAX_NAME_BYTES), 'é'.repeat(MAX_NAME_BYTES / 2)];
    const clocks = [{ d: 1 }, { 'dev-a': 1, 'dev-b': Number.MAX_SAFE_INTEGER }, Object.fromEntries(Array.from({ length: MAX_CLOCK_ENTRIES }, (_, i) => [`w${i}`.padEnd(64, 'z'), i + 1]))];
    let n = 0;
    for (const size of sizes) {
      for (const name of names) {
        const clock = clocks[n++ % clocks.length]!;
        for (const value of [bytes(size, n), null]) {
          const r = alice.write(name, value, clock, { time: n * 1_000_003, sealed: value !== null && n % 2 === 0 });
          const enc = encodeRecord(r);
          assert.ok(enc.length <= MAX_RECORD_BYTES, `${enc.length} bytes`);
          const d = decodeRecord(enc);
          assert.ok(d.ok, d.ok ? '' : `size ${size} name ${name}: ${d.reason}`);
          assert.deepEqual(d.value, r);
          assert.equal(recordDigest(d.value), recordDigest(r));
          assert.ok(verifyRecord(d.value));
          assert.deepEqual(recordKey(d.value), { owner: alice.pkHex, name });
        }
      }
    }
  });

  it('every one-byte mutation is rejected by decode or fails the signature', () => {
    const records = [
      alice.write('profile', new TextEncoder().encode('hello'), { 'dev-a': 3, 'dev-b': 1 }, { time: 1_763_700_000_000 }),
      alice.write('profile', null, { 'dev-a': 4 }),
      bob.write(inboxName(bob.pkHex, 'm1'), bytes(SEGMENT_BYTES + 7), { b: 1 }, { owner: alice.pk, sealed: true }),
    ];
    for (const r of records) {
      const enc = encodeRecord(r);
      const small = enc.length < 600;
      let accepted = 0;
      for (let i = 0; i < enc.length; i++) {
        const changes = small ? [0x01, 0x04, 0x20, 0x80, 0xff] : [0x01, 0x80];
        for (const x of changes) {
          const mutated = Uint8Array.from(enc); // a copy: cborg may hand out a Buffer, whose slice() is a view
          mutated[i]! ^= x;
          const d = decodeRecord(mutated);
          if (!d.ok) continue;
          accepted++;
          assert.equal(hexOf(encodeRecord(d.value)), hexOf(mutated), `byte ${i} ^ ${x}: accepted but not canonical`);
          assert.equal(verifyRecord(d.value), false, `byte ${i} ^ ${x}: accepted and still verifies`);
        }
      }
      assert.ok(accepted > 0, 'signature bytes mutations decode (and are caught by the signature)');
    }
  });

  it('refuses truncated, extended, non-canonical and wrongly shaped encodings', () => {
    const r = alice.write('k', bytes(10), { d: 1 });
    const enc = encodeRecord(r);
    assert.equal(decodeRecord(enc.subarray(0, enc.length - 1)).ok, false);
    assert.equal(decodeRecord(Uint8Array.from([...enc, 0])).ok, false);
    assert.equal(decodeRecord(new Uint8Array(0)).ok, false);
    assert.equal(decodeRecord(encodeCanonical([1, 2, 3])).ok, false);
    assert.match(reason(reencode(r, { v: 2 })), /version-1/);
    assert.match(reason(reencode(r, { extra: 1 })), /10 fields/);
    assert.match(reason(reencode(r, { sealed: undefined })), /10 fields/);
    assert.match(reason(reencode(r, { sig: bytes(63) })), /sig must be 64 bytes/);
    assert.match(reason(reencode(r, { owner: bytes(31) })), /owner must be a 32-byte/);
    assert.match(reason(reencode(r, { signer: bytes(33) })), /signer must be a 32-byte/);
    assert.match(reason(reencode(r, { owner: 'alice' })), /must be bytes/);
    assert.match(reason(reencode(r, { name: 7 })), /name must be a string/);
    assert.match(reason(reencode(r, { sealed: 0 })), /sealed/);
    assert.match(reason(reencode(r, { value: 'text' })), /value must be bytes or null/);
    assert.match(reason(reencode(r, { time: -1 })), /time/);
    assert.match(reason(reencode(r, { time: 1.5 })), /time/);
    assert.match(reason(reencode(r, { clock: [1] })), /clock/);
    // non-minimal integer: time 1000 as a 4-byte integer instead of 2
    const at = hexOf(enc).indexOf('6474696d651903e8') / 2 + 5;
    assert.ok(at > 5);
    const nonMinimal = Uint8Array.from([...enc.subarray(0, at), 0x1a, 0, 0, 0x03, 0xe8, ...enc.subarray(at + 3)]);
    assert.match(reason(nonMinimal), /more bytes than necessary|canonical/);
  });

  it('enforces the size limits', () => {
    const ok = (r: SignedRecord) => decodeRecord(encodeRecord(r)).ok;
    assert.ok(ok(alice.write('x'.repeat(MAX_NAME_BYTES), null, { d: 1 })));
    assert.match(reason(encodeRecord(alice.write('x'.repeat(MAX_NAME_BYTES + 1), null, { d: 1 }))), /257 bytes of UTF-8/);
    assert.match(reason(encodeRecord(alice.write('é'.repeat(MAX_NAME_BYTES / 2 + 1), null, { d: 1 }))), /UTF-8/, 'names are limited in bytes, not characters');
    assert.match(reason(encodeRecord(alice.write('', null, { d: 1 }))), /non-empty/);
    for (const bad of ['a\nb', 'tab\there', 'nul\u0000', 'del\u007f', 'c1\u0085']) assert.match(reason(encodeRecord(alice.write(bad, null, { d: 1 }))), /control/, JSON.stringify(bad));
    assert.match(recordProblem({ ...alice.write('k', null, { d: 1 }), name: 'lone \ud800' }) ?? '', /well-formed/);

    assert.ok(ok(alice.write('v', bytes(MAX_VALUE_BYTES), { d: 1 })));
    assert.match(reason(encodeRecord(alice.write('v', bytes(MAX_VALUE_BYTES + 1), { d: 1 }))), /65537 bytes/);
    assert.match(reason(new Uint8Array(MAX_RECORD_BYTES + 1)), /too large/);

    const wide = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`w${i}`, 1]));
    assert.ok(ok(alice.write('c', null, wide(MAX_CLOCK_ENTRIES))));
    assert.match(reason(encodeRecord(alice.write('c', null, wide(MAX_CLOCK_ENTRIES + 1)))), /1 to 32 entries/);
    assert.match(reason(encodeRecord(alice.write('c', null, {}))), /1 to 32 entries/);
    assert.ok(ok(alice.write('c', null, { ['w'.repeat(64)]: 1 })));
    assert.match(reason(encodeRecord(alice.write('c', null, { ['w'.repeat(65)]: 1 }))), /writer ids/);
    assert.match(reason(encodeRecord(alice.write('c', null, { '': 1 }))), /writer ids/);
    assert.match(reason(encodeRecord(alice.write('c', null, { a: 0, b: 0 }))), /≥ 1/);
    assert.match(reason(encodeRecord(alice.write('c', null, { a: 1, b: 0 }))), /≥ 1/);
    assert.match(reason(encodeRecord(alice.write('c', null, { a: 1, b: -1 }))), /counter of "b"/);
    assert.match(reason(encodeRecord(alice.write('c', null, { a: 1.5 }))), /counter of "a"/);
  });

  it('checks the segment root against the value, and tombstones are never sealed', () => {
    const r = alice.write('k', bytes(3000), { d: 1 });
    assert.match(reason(reencode(r, { value: bytes(3000, 2) })), /segmentsRoot does not match/);
    assert.match(reason(reencode(r, { segmentsRoot: EMPTY_MERKLE_ROOT })), /segmentsRoot does not match/);
    assert.match(reason(reencode(r, { segmentsRoot: bytes(31) })), /32 bytes/);
    assert.match(reason(encodeRecord(alice.signRecord({ ...alice.write('k', null, { d: 1 }), sealed: true }))), /tombstone cannot be sealed/);
    const empty = alice.write('k', new Uint8Array(0), { d: 1 });
    assert.notEqual(hexOf(empty.segmentsRoot), hexOf(EMPTY_MERKLE_ROOT), 'an empty value is not a tombstone');
    assert.match(reason(reencode(empty, { value: null })), /segmentsRoot does not match/);
  });

  it('a writer id such as "__proto__" stays a clock entry', () => {
    const r = alice.write('k', null, JSON.parse('{"__proto__": 5}') as Record<string, number>);
    const d = decodeRecord(encodeRecord(r));
    assert.ok(d.ok, d.ok ? '' : d.reason);
    assert.deepEqual(Object.entries(d.value.clock), [['__proto__', 5]]);
    assert.equal(Object.getPrototypeOf(d.value.clock), Object.prototype);
  });

  it('segments: SEGMENT_BYTES slices, the last shorter, an empty value is one empty segment', () => {
    assert.deepEqual(valueSegments(new Uint8Array(0)).map((s) => s.length), [0]);
    assert.deepEqual(valueSegments(bytes(1)).map((s) => s.length), [1]);
    assert.deepEqual(valueSegments(bytes(SEGMENT_BYTES)).map((s) => s.length), [SEGMENT_BYTES]);
    assert.deepEqual(valueSegments(bytes(2 * SEGMENT_BYTES + 5)).map((s) => s.length), [SEGMENT_BYTES, SEGMENT_BYTES, 5]);
    assert.deepEqual(valueSegments(bytes(2500)).reduce((a, s) => [...a, ...s], [] as number[]), [...bytes(2500)]);
    for (const v of [null, new Uint8Array(0), bytes(1), bytes(SEGMENT_BYTES), bytes(SEGMENT_BYTES * 5 + 1)]) {
      assert.equal(hexOf(segmentsRootOf(v)), hexOf(referenceSegmentsRoot(v)));
      assert.equal(segmentCount(v), v === null ? 0 : valueSegments(v).length);
    }
    assert.equal(hexOf(segmentsRootOf(null)), hexOf(EMPTY_MERKLE_ROOT));
    segmentsRootOf(null)[0]! ^= 1;
    assert.equal(hexOf(segmentsRootOf(null)), hexOf(EMPTY_MERKLE_ROOT), 'the shared empty root is not handed out for mutation');
  });

  describe('namespace rule', () => {
    const decodes = (r: SignedRecord) => decodeRecord(encodeRecord(r));

    it('the owner writes its own keys; a stranger cannot sign the owner’s key', () => {
      assert.ok(decodes(alice.write('profile', bytes(4), { d: 1 })).ok);
      const forged = bob.write('profile', bytes(4), { d: 2 }, { owner: alice.pk });
      assert.ok(verifyRecord(forged), 'the signature itself is fine');
      assert.match(reason(encodeRecord(forged)), /only the owner/);
      assert.match(reason(encodeRecord(bob.write('profile', null, { d: 2 }, { owner: alice.pk }))), /only the owner/, 'nor delete it');
    });

    it('an inbox key is signed by the sender it names, not by another sender', () => {
      const name = inboxName(bob.pkHex, 'hello-1');
      assert.ok(decodes(bob.write(name, bytes(50), { b: 1 }, { owner: alice.pk, sealed: true })).ok);
      assert.ok(decodes(bob.write(name, null, { b: 2 }, { owner: alice.pk })).ok, 'the sender may retract');
      assert.match(reason(encodeRecord(carol.write(name, bytes(50), { c: 1 }, { owner: alice.pk }))), /signed by the sender it names/);
      assert.match(reason(encodeRecord(carol.write(name, null, { c: 1 }, { owner: alice.pk }))), /signed by the sender it names/);
    });

    it('the owner may tombstone an inbox key but not write a value into it', () => {
      const name = inboxName(bob.pkHex, 'hello-1');
      assert.ok(decodes(alice.write(name, null, { a: 1 })).ok);
      assert.match(reason(encodeRecord(alice.write(name, bytes(5), { a: 1 }))), /may only delete/);
      assert.match(reason(encodeRecord(alice.write(name, new Uint8Array(0), { a: 1 }))), /may only delete/);
      assert.ok(decodes(alice.write(inboxName(alice.pkHex, 'note-to-self'), bytes(5), { a: 1 })).ok, 'an owner is the sender of its own inbox keys');
    });

    it('names under inbox/ must be well-formed inbox names', () => {
      for (const name of ['inbox/', `inbox/${bob.pkHex}`, `inbox/${bob.pkHex}/`, `inbox/${bob.pkHex.toUpperCase()}/m`, `inbox/${bob.pkHex}/a/b`, `inbox/${bob.pkHex}/${'x'.repeat(65)}`, `inbox/${bob.pkHex.slice(2)}/m`, `inbox/${bob.pkHex}/m!`]) {
        assert.match(reason(encodeRecord(alice.write(name, null, { a: 1 }))), /names under inbox\//, name);
      }
      assert.ok(decodes(alice.write('inboxes/x', bytes(1), { a: 1 })).ok, 'only the inbox/ prefix is special');
    });

    it('authorityProblem reads unsigned records', () => {
      const { sig: _sig, ...unsigned } = bob.write(inboxName(bob.pkHex, 'x'), bytes(1), { b: 1 }, { owner: alice.pk });
      assert.equal(authorityProblem(unsigned), null);
      assert.match(authorityProblem({ ...unsigned, signer: carol.pk }) ?? '', /neither/);
      assert.match(authorityProblem({ ...unsigned, signer: alice.pk }) ?? '', /may only delete/);
      assert.equal(authorityProblem({ ...unsigned, signer: alice.pk, value: null }), null);
    });
  });

  it('inbox names: built, parsed, and refused when malformed', () => {
    const name = inboxName(bob.pkHex, 'A-z_09');
    assert.equal(name, `inbox/${bob.pkHex}/A-z_09`);
    assert.deepEqual(parseInboxName(name), { sender: bob.pkHex, id: 'A-z_09' });
    assert.equal(parseInboxName('profile'), null);
    assert.equal(parseInboxName(`inbox/${bob.pkHex}/`), null);
    assert.equal(parseInboxName(`outbox/${bob.pkHex}/x`), null);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        assert.ok(err instanceof StarError);
        return err.code;
      }
      return 'no error';
    };
    assert.equal(code(() => inboxName(bob.pkHex.toUpperCase(), 'x')), 'INVALID_ARGUMENT');
    assert.equal(code(() => inboxName('abc', 'x')), 'INVALID_ARGUMENT');
    assert.equal(code(() => inboxName(bob.pkHex, '')), 'INVALID_ARGUMENT');
    assert.equal(code(() => inboxName(bob.pkHex, 'x'.repeat(65))), 'INVALID_ARGUMENT');
    assert.equal(code(() => inboxName(bob.pkHex, 'a/b')), 'INVALID_ARGUMENT');
    assert.equal(inboxName(bob.pkHex, 'x'.repeat(64)).length, 'inbox/'.length + 64 + 1 + 64);
  });

  it('signRecord signs with an account Signer, and the verifier batches recordVerifyItem', async () => {
    const secret = new Uint8Array(32).fill(9);
    const signer: Signer = { pk: ed25519.getPublicKey(secret), sign: async (m) => ed25519.sign(m, secret) };
    const unsigned: UnsignedRecord = { owner: signer.pk, name: 'k', signer: signer.pk, clock: { d: 1 }, time: 5, value: bytes(3), sealed: false, segmentsRoot: segmentsRootOf(bytes(3)) };
    const r = await signRecord(signer, unsigned);
    assert.ok(decodeRecord(encodeRecord(r)).ok);
    const verifier = new Ed25519Verifier();
    const forged = { ...r, time: 6 };
    assert.deepEqual(await verifier.verifyMany([recordVerifyItem(r), recordVerifyItem(forged), recordVerifyItem(alice.write('k', null, { d: 1 }))]), [true, false, true]);
    await assert.rejects(signRecord(signer, { ...unsigned, signer: alice.pk }), (err: StarError) => err.code === 'INVALID_ARGUMENT');
    await assert.rejects(signRecord(signer, { ...unsigned, value: bytes(4) }), (err: StarError) => err.code === 'INVALID_ARGUMENT' && /segmentsRoot/.test(err.message));
    await assert.rejects(signRecord(signer, { ...unsigned, owner: alice.pk }), (err: StarError) => err.code === 'INVALID_ARGUMENT' && /owner/.test(err.message));
  });

  it('the encoding spliced at signing and the signing bytes cut from a decoded encoding are the canonical ones', async () => {
    const secret = new Uint8Array(32).fill(9);
    const signer: Signer = { pk: ed25519.getPublicKey(secret), sign: async (m) => ed25519.sign(m, secret) };
    const clocks = [{ d: 1 }, Object.fromEntries(Array.from({ length: MAX_CLOCK_ENTRIES }, (_, i) => [`w${i}`.padEnd(64, 'z'), i + 1]))];
    for (const value of [null, bytes(0), bytes(100), bytes(MAX_VALUE_BYTES)]) {
      for (const clock of clocks) {
        const unsigned: UnsignedRecord = { owner: signer.pk, name: 'ünïcødé/k', signer: signer.pk, clock, time: 1_763_700_000_000, value, sealed: false, segmentsRoot: segmentsRootOf(value) };
        const r = await signRecord(signer, unsigned);
        // what a fresh canonical encoding of the same fields gives
        const canonical = encodeCanonical({ v: 1, owner: r.owner, name: r.name, signer: r.signer, clock: r.clock, time: r.time, value: r.value, sealed: r.sealed, segmentsRoot: r.segmentsRoot, sig: r.sig });
        assert.equal(hexOf(encodeRecord(r)), hexOf(canonical));
        assert.equal(hexOf(signingBytesOf(r)), hexOf(recordSigningBytes(r)));
        const d = decodeRecord(Uint8Array.from(canonical));
        assert.ok(d.ok);
        assert.equal(hexOf(signingBytesOf(d.value)), hexOf(recordSigningBytes(r)));
        assert.equal(hexOf(encodeRecord(d.value)), hexOf(canonical));
      }
    }
    for (const v of vectors.vectors) {
      const d = decodeRecord(fromHex(v.encoded)!);
      assert.ok(d.ok, v.name);
      assert.equal(hexOf(signingBytesOf(d.value)), v.signingBytes, v.name);
    }
  });

  it('a decoded record keeps its own copy of its bytes: changing the input afterwards changes nothing', () => {
    const enc = Uint8Array.from(encodeRecord(alice.write('k', bytes(10), { d: 1 })));
    const d = decodeRecord(enc);
    assert.ok(d.ok);
    const before = hexOf(encodeRecord(d.value));
    enc.fill(0);
    assert.equal(hexOf(encodeRecord(d.value)), before);
    assert.ok(verifyRecord(d.value));
  });
});
