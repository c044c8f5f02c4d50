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
import { decodeCanonical, encodeCanonical, isRecord, type CborValue } from '../codec/cbor.ts';
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

const isBytes = (v: unknown, n: number): v is Uint8Array => v instanceof Uint8Array && v.length === n;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Shape check of untrusted bytes; chain rules (sequence, balance, signature) come after. */
export function decodeHalfBlock(bytes: Uint8Array): Decoded<HalfBlock> {
  if (bytes.length > MAX_HALF_BLOCK_BYTES) return { ok: false, reason: `half-block too large (${bytes.length} bytes)` };
  let v: CborValue;
  try {
    v = decodeCanonical(bytes);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (!isRecord(v) || Object.keys(v).length !== 10) return { ok: false, reason: 'half-block must be a map of exactly 10 fields' };
  if (v.v !== HALF_BLOCK_VERSION) return { ok: false, reason: `unsupported half-block version ${String(v.v)}` };
  if (!isBytes(v.pk, PUBLIC_KEY_BYTES) || !isBytes(v.linkPk, PUBLIC_KEY_BYTES)) return { ok: false, reason: 'keys must be 32 bytes' };
  if (!isBytes(v.prev, HASH_BYTES)) return { ok: false, reason: 'prev must be a 32-byte hash' };
  if (!isBytes(v.sig, SIGNATURE_BYTES)) return { ok: false, reason: 'sig must be 64 bytes' };
  if (!isCount(v.seq) || v.seq < 1) return { ok: false, reason: 'seq must be a whole number ≥ 1' };
  if (!isCount(v.linkSeq)) return { ok: false, reason: 'linkSeq must be a whole number ≥ 0' };
  if (!isCount(v.time)) return { ok: false, reason: 'time must be a timestamp' };
  if (v.kind !== 'transfer') return { ok: false, reason: `unknown kind ${String(v.kind)}` };
  const p = v.payload;
  if (!isRecord(p) || Object.keys(p).length !== 2 || !isCount(p.amount) || typeof p.memo !== 'string') {
    return { ok: false, reason: 'transfer payload must be { amount, memo }' };
  }
  return {
    ok: true,
    value: { pk: v.pk, seq: v.seq, prev: v.prev, linkPk: v.linkPk, linkSeq: v.linkSeq, kind: 'transfer', payload: { amount: p.amount, memo: p.memo }, time: v.time, sig: v.sig },
  };
}
