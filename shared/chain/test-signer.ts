/**
 * Test-only: deterministic Ed25519 accounts (noble) that build and sign half-blocks, for
 * unit tests and the simulator. The browser signs with non-extractable WebCrypto keys.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { halfBlockHash, signingBytes, ZERO_HASH, type HalfBlock, type UnsignedHalfBlock } from './half-block.ts';

export interface TestAccount {
  pk: Uint8Array;
  sign(b: UnsignedHalfBlock): HalfBlock;
}

export function testAccount(seedByte: number): TestAccount {
  const secret = new Uint8Array(32).fill(seedByte);
  const pk = ed25519.getPublicKey(secret);
  return { pk, sign: (b) => ({ ...b, sig: ed25519.sign(signingBytes(b), secret) }) };
}

export function verifyHalfBlock(b: HalfBlock): boolean {
  return ed25519.verify(b.sig, signingBytes(b), b.pk);
}

/** Builds the next block of `account`'s chain after `prev` (undefined at genesis). */
export function nextBlock(
  account: TestAccount,
  prev: HalfBlock | undefined,
  fields: { linkPk: Uint8Array; linkSeq?: number; amount: number; memo?: string; time?: number },
): HalfBlock {
  return account.sign({
    pk: account.pk,
    seq: (prev?.seq ?? 0) + 1,
    prev: prev ? halfBlockHash(prev) : ZERO_HASH,
    linkPk: fields.linkPk,
    linkSeq: fields.linkSeq ?? 0,
    kind: 'transfer',
    payload: { amount: fields.amount, memo: fields.memo ?? '' },
    time: fields.time ?? 1_000,
  });
}
