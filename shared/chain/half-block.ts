/**
 * Half-blocks of an account chain (Extended TrustChain), their one canonical encoding and
 * their hash. Pure: no keys here; signing and verification are done by the worker, which
 * signs exactly `signingBytes(block)`.
 *
 *   { pk, seq, prev, linkPk, linkSeq, kind, payload, time, sig }
 *   seq starts at 1; prev is the hash of seq-1 (32 zero bytes at seq 1);
 *   linkSeq = 0 marks a proposal; an agreement names its proposal's (linkPk, linkSeq).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { readHalfBlock } from './half-block-reader.ts';
import { PUBLIC_KEY_BYTES } from './address.ts';

export const HALF_BLOCK_VERSION = 1;
export const HASH_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const ZERO_HASH = new Uint8Array(HASH_BYTES);
export const MAX_HALF_BLOCK_BYTES = 1024;
export const MAX_MEMO_CHARS = 140;

export interface TransferPayload {
  amount: number;
  memo: string;
}

export interface UnsignedHalfBlock {
  pk: Uint8Array;
  seq: number;
  prev: Uint8Array;
  linkPk: Uint8Array;
  linkSeq: number;
  kind: 'transfer';
  payload: TransferPayload;
  time: number;
}

export interface HalfBlock extends UnsignedHalfBlock {
  sig: Uint8Array;
}

function body(b: UnsignedHalfBlock): { [key: string]: CborValue } {
  return {
    v: HALF_BLOCK_VERSION,
    pk: b.pk,
    seq: b.seq,
    prev: b.prev,
    linkPk: b.linkPk,
    linkSeq: b.linkSeq,
    kind: b.kind,
    payload: { amount: b.payload.amount, memo: b.payload.memo },
    time: b.time,
  };
}

/** The exact bytes the chain owner signs. */
export function signingBytes(b: UnsignedHalfBlock): Uint8Array {
  return encodeCanonical(body(b));
}

export function encodeHalfBlock(b: HalfBlock): Uint8Array {
  return encodeCanonical({ ...body(b), sig: b.sig });
}

export function halfBlockHash(b: HalfBlock): Uint8Array {
  return sha256(encodeHalfBlock(b));
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Shape check of untrusted bytes; chain rules (sequence, balance, signature) come after. */
export function decodeHalfBlock(bytes: Uint8Array): Decoded<HalfBlock> {
  const d = decodeHalfBlockForVerify(bytes);
  return d.ok ? { ok: true, value: d.value.block } : d;
}

/** The same, also returning the exact bytes the signature must cover (see half-block-reader.ts). */
export function decodeHalfBlockForVerify(bytes: Uint8Array): Decoded<{ block: HalfBlock; signing: Uint8Array }> {
  if (bytes.length > MAX_HALF_BLOCK_BYTES) return { ok: false, reason: `half-block too large (${bytes.length} bytes)` };
  return readHalfBlock(bytes, MAX_HALF_BLOCK_BYTES);
}
