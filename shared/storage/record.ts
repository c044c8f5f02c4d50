/**
 * Signed storage records: the one canonical encoding, the namespace rule (who may sign what),
 * size limits, and the value's segment Merkle root that audits prove against.
 * OWNER: helper H2 — contract below is fixed, bodies to be written.
 */
import type { SignedRecord, StorageKey } from './types.ts';

export const MAX_NAME_BYTES = 256;
export const MAX_VALUE_BYTES = 64 * 1024;
/** a record's encoding can never exceed this (value + header + signature) */
export const MAX_RECORD_BYTES = MAX_VALUE_BYTES + 4096;
export const SEGMENT_BYTES = 1024;
export const INBOX_PREFIX = 'inbox/';

export type UnsignedRecord = Omit<SignedRecord, 'sig'>;
export type DecodedRecord = { ok: true; value: SignedRecord } | { ok: false; reason: string };

export function recordSigningBytes(r: UnsignedRecord): Uint8Array {
  throw new Error('not yet');
}
export function encodeRecord(r: SignedRecord): Uint8Array {
  throw new Error('not yet');
}
/** shape, limits, canonical form, segmentsRoot matches value, and the namespace rule; NOT the signature (the caller batches those) */
export function decodeRecord(bytes: Uint8Array): DecodedRecord {
  throw new Error('not yet');
}
/** sha256 of the record's encoding, hex: identifies one version */
export function recordDigest(r: SignedRecord): string {
  throw new Error('not yet');
}
export function recordKey(r: SignedRecord): StorageKey {
  throw new Error('not yet');
}
/** null when `signer` may sign this key, else why not (owner signs its namespace; inbox/<sender hex>/<id> is signed by that sender, or by the owner for a tombstone) */
export function authorityProblem(r: UnsignedRecord): string | null {
  throw new Error('not yet');
}
export function valueSegments(value: Uint8Array): Uint8Array[] {
  throw new Error('not yet');
}
/** Merkle root (shared/finality/merkle.ts) over the value's segments; EMPTY_MERKLE_ROOT for a tombstone */
export function segmentsRootOf(value: Uint8Array | null): Uint8Array {
  throw new Error('not yet');
}
export function inboxName(senderHex: string, id: string): string {
  throw new Error('not yet');
}
/** the sender hex and id of an inbox name, or null when the name is not an inbox key */
export function parseInboxName(name: string): { sender: string; id: string } | null {
  throw new Error('not yet');
}
