import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeHalfBlock, halfBlockHash, MAX_HALF_BLOCK_BYTES, signingBytes, ZERO_HASH, type HalfBlock } from './half-block.ts';
import { readHalfBlock } from './half-block-reader.ts';
import { toHex } from '../codec/hex.ts';

/** a deterministic pseudo-random source, so a failure can be replayed */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const WIDTHS = [0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];

function randomBlock(next: () => number): HalfBlock {
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
  const pick = () => WIDTHS[Math.floor(next() * WIDTHS.length)]!;
  const memos = ['', 'tea', 'ünïcødé ✓', '😀'.repeat(10), 'x'.repeat(140)];
  return {
    pk: bytes(32),
    seq: Math.max(1, pick()),
    prev: next() < 0.2 ? ZERO_HASH : bytes(32),
    linkPk: bytes(32),
    linkSeq: pick(),
    kind: 'transfer',
    payload: { amount: pick(), memo: memos[Math.floor(next() * memos.length)]! },
    time: pick(),
    sig: bytes(64),
  };
}

describe('half-block reader (the hot-path decoder)', () => {
  it('reads exactly what the canonical encoder writes, and its signing bytes match', () => {
    const next = rng(7);
    for (let i = 0; i < 500; i++) {
      const block = randomBlock(next);
      const bytes = encodeHalfBlock(block);
      const r = readHalfBlock(bytes, MAX_HALF_BLOCK_BYTES);
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.deepEqual(r.value.block, block);
      assert.equal(toHex(r.value.signing), toHex(signingBytes(block)));
    }
  });

  it('accepts nothing but canonical bytes: any accepted mutation re-encodes to itself', () => {
    const block = randomBlock(rng(11));
    const bytes = encodeHalfBlock(block);
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x20, 0x80]) {
        const mutated = bytes.slice();
        mutated[i]! ^= flip;
        const r = readHalfBlock(mutated, MAX_HALF_BLOCK_BYTES);
        if (r.ok) assert.equal(toHex(encodeHalfBlock(r.value.block)), toHex(mutated), `byte ${i} ^ ${flip}`);
      }
    }
  });

  it('refuses non-minimal lengths, trailing and missing bytes, bad UTF-8 and seq 0', () => {
    const block: HalfBlock = { ...randomBlock(rng(3)), seq: 1, payload: { amount: 5, memo: 'ab' } };
    const bytes = encodeHalfBlock(block);
    const seqAt = 1 + 3 + 37 + 4;
    assert.equal(bytes[seqAt], 0x01);
    const nonMinimal = Uint8Array.from([...bytes.subarray(0, seqAt), 0x18, 0x01, ...bytes.subarray(seqAt + 1)]);
    assert.match((readHalfBlock(nonMinimal, MAX_HALF_BLOCK_BYTES) as { reason: string }).reason, /shortest form/);
    assert.equal(readHalfBlock(Uint8Array.from([...bytes, 0]), MAX_HALF_BLOCK_BYTES).ok, false);
    assert.equal(readHalfBlock(bytes.subarray(0, bytes.length - 1), MAX_HALF_BLOCK_BYTES).ok, false);
    const memoAt = bytes.length - 1 - 7 - 2; // …"memo" 62 'a' 'b' "amount" 05
    const badUtf8 = bytes.slice();
    badUtf8[memoAt] = 0xff;
    assert.match((readHalfBlock(badUtf8, MAX_HALF_BLOCK_BYTES) as { reason: string }).reason, /UTF-8/);
    assert.equal(readHalfBlock(encodeHalfBlock({ ...block, seq: 0 }), MAX_HALF_BLOCK_BYTES).ok, false);
  });

  it('hashes the received bytes to the same id as the encoder', () => {
    const block = randomBlock(rng(5));
    const r = readHalfBlock(encodeHalfBlock(block), MAX_HALF_BLOCK_BYTES);
    assert.ok(r.ok);
    assert.equal(toHex(halfBlockHash(r.value.block)), toHex(halfBlockHash(block)));
  });
});
