/**
 * Test-only: real Ed25519 keys (noble, deterministic secrets) and signed half-blocks for the
 * finality unit tests.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { encodeHalfBlock, type HalfBlock } from '../chain/half-block.ts';
import { nextBlock, testAccount, type TestAccount } from '../chain/test-signer.ts';
import type { CandidateBlock } from './checkpoint.ts';

export interface TestKey {
  pk: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** A signing key from a seed byte (distinct from test-signer accounts' 32×byte secrets). */
export function testKey(seedByte: number): TestKey {
  const secret = sha256(Uint8Array.of(0x6b, seedByte));
  const pk = ed25519.getPublicKey(secret);
  return { pk, sign: (message) => ed25519.sign(message, secret) };
}

export { nobleVerify } from '../crypto/ed25519.ts';

export function candidate(block: HalfBlock): CandidateBlock {
  const bytes = encodeHalfBlock(block);
  return { bytes, block, hash: sha256(bytes) };
}

/** A chain of `length` proposals from `from` to `to`, as candidates. */
export function chain(from: TestAccount, to: TestAccount, length: number, memo = ''): CandidateBlock[] {
  const out: CandidateBlock[] = [];
  let prev: HalfBlock | undefined;
  for (let i = 0; i < length; i++) {
    prev = nextBlock(from, prev, { linkPk: to.pk, amount: i + 1, memo });
    out.push(candidate(prev));
  }
  return out;
}

export { testAccount };

/** Byte arrays (Buffer or Uint8Array, views or not) as hex, for deep comparisons. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `0x${toHex(value)}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}
