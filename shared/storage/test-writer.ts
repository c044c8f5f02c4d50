/**
 * Test-only: deterministic Ed25519 accounts (noble) that build and sign storage records, for
 * unit tests and the storage simulator. The browser signs with non-extractable WebCrypto keys
 * (record.ts signRecord with the worker's Signer).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex } from '../codec/hex.ts';
import { recordSigningBytes, segmentsRootOf, type UnsignedRecord } from './record.ts';
import type { SignedRecord, VectorClock } from './types.ts';

export interface WriteOptions {
  /** the namespace written into (default: the writer's own); another account's for inbox keys */
  owner?: Uint8Array;
  time?: number;
  sealed?: boolean;
}

export interface TestWriter {
  pk: Uint8Array;
  pkHex: string;
  /** signs exactly what it is given (no checks), so tests can sign records that break rules */
  signRecord(unsigned: UnsignedRecord): SignedRecord;
  /** a record of `name` (in its own namespace unless opts.owner), segmentsRoot computed; null value = tombstone */
  write(name: string, value: Uint8Array | null, clock: VectorClock, opts?: WriteOptions): SignedRecord;
}

/** the Ed25519 secret key is 32 bytes of `seedByte` */
export function testWriter(seedByte: number): TestWriter {
  const secret = new Uint8Array(32).fill(seedByte);
  const pk = ed25519.getPublicKey(secret);
  const signRecord = (unsigned: UnsignedRecord): SignedRecord => ({ ...unsigned, sig: ed25519.sign(recordSigningBytes(unsigned), secret) });
  return {
    pk,
    pkHex: toHex(pk),
    signRecord,
    write: (name, value, clock, opts = {}) =>
      signRecord({
        owner: opts.owner ?? pk,
        name,
        signer: pk,
        clock,
        time: opts.time ?? 1_000,
        value,
        sealed: value === null ? false : (opts.sealed ?? false),
        segmentsRoot: segmentsRootOf(value),
      }),
  };
}

/** the signature only (decodeRecord checks the rest) */
export function verifyRecord(r: SignedRecord): boolean {
  try {
    return ed25519.verify(r.sig, recordSigningBytes(r), r.signer);
  } catch {
    return false;
  }
}
