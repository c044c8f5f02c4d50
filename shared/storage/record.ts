/**
 * Signed storage records: the one canonical encoding, the namespace rule (who may sign what),
 * size limits, and the value's segment Merkle root that audits prove against.
 *
 *   { v, owner, name, signer, clock, time, value, sealed, segmentsRoot, sig }
 *   canonical CBOR (shared/codec/cbor.ts); sig = Ed25519 by `signer` over the same map without sig
 *
 * - `owner`, `signer`: 32-byte Ed25519 public keys; `sig`: 64 bytes.
 * - `name`: 1…MAX_NAME_BYTES bytes of well-formed UTF-8, no control characters. Names under
 *   `inbox/` must be inbox names, `inbox/<64 lower-case hex sender pk>/<id>` with an id of
 *   1…64 characters [A-Za-z0-9_-].
 * - `clock`: a map writer id (1…64 characters) → counter (safe whole number ≥ 1), 1…32
 *   entries. A zero counter is the same as no entry, so it is refused: one clock, one encoding
 *   (otherwise {a:1} and {a:1, b:0} would sign differently and both be kept as siblings).
 * - `time`: safe whole number (ms since epoch, informative).
 * - `value`: at most MAX_VALUE_BYTES bytes, or null for a tombstone; `sealed` is false for a tombstone.
 * - `segmentsRoot`: merkleRoot (shared/finality/merkle.ts) of the value's segments, which are
 *   SEGMENT_BYTES slices of the value, the last one shorter. An empty value has exactly one,
 *   empty, segment (so every value has a root distinct from a tombstone's and at least one
 *   segment index 0); a tombstone has no segments and the root EMPTY_MERKLE_ROOT.
 * - The namespace rule (authorityProblem): the owner signs every key of its namespace, except
 *   that an inbox key is written by the sender it names; its owner (the recipient) may only
 *   delete it (a tombstone).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, decodeCanonical, encodeCanonical, isRecord, type CborValue } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import type { VerifyItem } from '../crypto/ed25519.ts';
import type { Signer } from '../crypto/signer.ts';
import { StarError } from '../errors.ts';
import { EMPTY_MERKLE_ROOT, merkleRoot } from '../finality/merkle.ts';
import type { SignedRecord, StorageKey, VectorClock } from './types.ts';

export const MAX_NAME_BYTES = 256;
export const MAX_VALUE_BYTES = 64 * 1024;
/** a record's encoding can never exceed this (value + header + signature) */
export const MAX_RECORD_BYTES = MAX_VALUE_BYTES + 4096;
export const SEGMENT_BYTES = 1024;
export const INBOX_PREFIX = 'inbox/';

export const RECORD_VERSION = 1;
export const MAX_CLOCK_ENTRIES = 32;
export const MAX_WRITER_ID_CHARS = 64;
export const MAX_INBOX_ID_CHARS = 64;
const KEY_BYTES = 32;
const SIG_BYTES = 64;
const ROOT_BYTES = 32;
const RECORD_FIELDS = 10;

export type UnsignedRecord = Omit<SignedRecord, 'sig'>;
export type DecodedRecord = { ok: true; value: SignedRecord } | { ok: false; reason: string };

function body(r: UnsignedRecord): { [key: string]: CborValue } {
  return {
    v: RECORD_VERSION,
    owner: r.owner,
    name: r.name,
    signer: r.signer,
    clock: { ...r.clock },
    time: r.time,
    value: r.value,
    sealed: r.sealed,
    segmentsRoot: r.segmentsRoot,
  };
}

export function recordSigningBytes(r: UnsignedRecord): Uint8Array {
  return encodeCanonical(body(r));
}

/**
 * The canonical bytes of each record object, made once: a record is encoded for its digest,
 * its size, every message it travels in and its IndexedDB row, and re-encoding it each time
 * was most of the CBOR work per put. Records are never changed once made (digests are
 * cached per object the same way); callers must not change the bytes returned.
 */
const encodings = new WeakMap<SignedRecord, Uint8Array>();

export function encodeRecord(r: SignedRecord): Uint8Array {
  let bytes = encodings.get(r);
  if (bytes === undefined) {
    bytes = encodeCanonical({ ...body(r), sig: r.sig });
    encodings.set(r, bytes);
  }
  return bytes;
}

/*
 * In canonical order (keys sorted by their encoding, so shorter keys first) a record's map
 * starts with `v: 1` and then `sig`, so the signed map without `sig` is the same bytes with
 * a 9-entry header and the sig entry cut out. Used both ways: the encoding of a record just
 * signed, and the signing bytes of a record just decoded, without another CBOR pass.
 */
const SIGNED_HEAD = Uint8Array.of(0xaa, 0x61, 0x76, RECORD_VERSION, 0x63, 0x73, 0x69, 0x67, 0x58, SIG_BYTES);
const UNSIGNED_HEAD = Uint8Array.of(0xa9, 0x61, 0x76, RECORD_VERSION);
const SIG_END = SIGNED_HEAD.length + SIG_BYTES;

function startsWith(bytes: Uint8Array, head: Uint8Array): boolean {
  if (bytes.length < head.length) return false;
  for (let i = 0; i < head.length; i++) if (bytes[i] !== head[i]) return false;
  return true;
}

/** the encoding of `unsigned` with `sig`, from its signing bytes */
function withSig(signing: Uint8Array, sig: Uint8Array): Uint8Array | undefined {
  if (sig.length !== SIG_BYTES || !startsWith(signing, UNSIGNED_HEAD)) return undefined;
  const out = new Uint8Array(signing.length + SIG_END - UNSIGNED_HEAD.length);
  out.set(SIGNED_HEAD, 0);
  out.set(sig, SIGNED_HEAD.length);
  out.set(signing.subarray(UNSIGNED_HEAD.length), SIG_END);
  return out;
}

/** the signing bytes (recordSigningBytes) of a record, cut from its encoding */
export function signingBytesOf(r: SignedRecord): Uint8Array {
  const bytes = encodeRecord(r);
  if (!startsWith(bytes, SIGNED_HEAD)) return recordSigningBytes(r);
  const out = new Uint8Array(bytes.length - SIG_END + UNSIGNED_HEAD.length);
  out.set(UNSIGNED_HEAD, 0);
  out.set(bytes.subarray(SIG_END), UNSIGNED_HEAD.length);
  return out;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
/** C0, DEL and C1 control characters */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const INBOX_NAME = /^inbox\/([0-9a-f]{64})\/([A-Za-z0-9_-]{1,64})$/;
const INBOX_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SENDER_HEX = /^[0-9a-f]{64}$/;

/** a JS string that survives UTF-8 (no lone surrogates) */
function wellFormed(s: string): boolean {
  try {
    return utf8Strict.decode(utf8.encode(s)) === s;
  } catch {
    return false;
  }
}

function nameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'name must be a non-empty string';
  if (!wellFormed(name)) return 'name must be well-formed Unicode';
  const bytes = utf8.encode(name).length;
  if (bytes > MAX_NAME_BYTES) return `name is ${bytes} bytes of UTF-8; at most ${MAX_NAME_BYTES} allowed`;
  if (CONTROL.test(name)) return 'name must not contain control characters';
  return null;
}

function clockProblem(clock: unknown): string | null {
  if (!isRecord(clock)) return 'clock must be a map of writer id to counter';
  const entries = Object.entries(clock);
  if (entries.length === 0 || entries.length > MAX_CLOCK_ENTRIES) return `clock must have 1 to ${MAX_CLOCK_ENTRIES} entries (it has ${entries.length})`;
  for (const [writer, counter] of entries) {
    if (writer.length === 0 || writer.length > MAX_WRITER_ID_CHARS || !wellFormed(writer)) return `clock writer ids must be 1 to ${MAX_WRITER_ID_CHARS} characters`;
    if (!isCount(counter) || counter === 0) return `clock counter of "${writer}" must be a whole number ≥ 1 (leave a writer out instead of 0)`;
  }
  return null;
}

/**
 * Everything decodeRecord checks except the version and field count: shape, limits, the
 * segment root and the namespace rule (not the signature). For writers, before signing.
 */
export function recordProblem(r: UnsignedRecord): string | null {
  if (!(r.owner instanceof Uint8Array) || r.owner.length !== KEY_BYTES) return 'owner must be a 32-byte public key';
  if (!(r.signer instanceof Uint8Array) || r.signer.length !== KEY_BYTES) return 'signer must be a 32-byte public key';
  const name = nameProblem(r.name);
  if (name) return name;
  const clock = clockProblem(r.clock);
  if (clock) return clock;
  if (!isCount(r.time)) return 'time must be a whole number of ms ≥ 0';
  if (r.value !== null && !(r.value instanceof Uint8Array)) return 'value must be bytes or null (a tombstone)';
  if (r.value && r.value.length > MAX_VALUE_BYTES) return `value is ${r.value.length} bytes; at most ${MAX_VALUE_BYTES} allowed`;
  if (typeof r.sealed !== 'boolean') return 'sealed must be true or false';
  if (r.value === null && r.sealed) return 'a tombstone cannot be sealed';
  if (!(r.segmentsRoot instanceof Uint8Array) || r.segmentsRoot.length !== ROOT_BYTES) return 'segmentsRoot must be 32 bytes';
  if (!bytesEqual(r.segmentsRoot, segmentsRootOf(r.value))) return "segmentsRoot does not match the value's segments";
  return authorityProblem(r);
}

/** shape, limits, canonical form, segmentsRoot matches value, and the namespace rule; NOT the signature (the caller batches those) */
export function decodeRecord(bytes: Uint8Array): DecodedRecord {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'record must be bytes' };
  if (bytes.length > MAX_RECORD_BYTES) return { ok: false, reason: `record too large (${bytes.length} bytes; at most ${MAX_RECORD_BYTES})` };
  let v: CborValue;
  try {
    v = decodeCanonical(bytes);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (!isRecord(v) || Object.keys(v).length !== RECORD_FIELDS || v.v !== RECORD_VERSION) {
    return { ok: false, reason: `record must be a version-${RECORD_VERSION} map of ${RECORD_FIELDS} fields` };
  }
  const { owner, name, signer, clock, time, value, sealed, segmentsRoot, sig } = v;
  if (!(sig instanceof Uint8Array) || sig.length !== SIG_BYTES) return { ok: false, reason: 'sig must be 64 bytes' };
  // Field types first, so recordProblem sees the types it is declared with.
  if (!(owner instanceof Uint8Array) || !(signer instanceof Uint8Array) || !(segmentsRoot instanceof Uint8Array)) {
    return { ok: false, reason: 'owner, signer and segmentsRoot must be bytes' };
  }
  if (typeof name !== 'string') return { ok: false, reason: 'name must be a string' };
  if (!isRecord(clock)) return { ok: false, reason: 'clock must be a map of writer id to counter' };
  if (typeof time !== 'number') return { ok: false, reason: 'time must be a number' };
  if (value !== null && !(value instanceof Uint8Array)) return { ok: false, reason: 'value must be bytes or null (a tombstone)' };
  if (typeof sealed !== 'boolean') return { ok: false, reason: 'sealed must be true or false' };
  // Object.fromEntries defines own properties, so a writer id such as "__proto__" stays data.
  const record: SignedRecord = { owner, name, signer, clock: Object.fromEntries(Object.entries(clock)) as VectorClock, time, value, sealed, segmentsRoot, sig };
  const problem = recordProblem(record);
  if (problem) return { ok: false, reason: problem };
  // canonical (decodeCanonical proved it), so these are its encoding; a copy, as the input may be a view into a larger buffer
  encodings.set(record, bytes.slice());
  checked.add(record);
  return { ok: true, value: record };
}

/** sha256 of the record's encoding, hex: identifies one version */
export function recordDigest(r: SignedRecord): string {
  return toHex(sha256(encodeRecord(r)));
}
export function recordKey(r: SignedRecord): StorageKey {
  return { owner: toHex(r.owner), name: r.name };
}

/** null when `signer` may sign this key, else why not (owner signs its namespace; inbox/<sender hex>/<id> is signed by that sender, or by the owner for a tombstone) */
export function authorityProblem(r: UnsignedRecord): string | null {
  const isOwner = bytesEqual(r.signer, r.owner);
  if (!r.name.startsWith(INBOX_PREFIX)) {
    return isOwner ? null : "only the owner may write keys in its namespace (the signer is not the key's owner)";
  }
  const inbox = parseInboxName(r.name);
  if (!inbox) return `names under ${INBOX_PREFIX} must be ${INBOX_PREFIX}<64 lower-case hex sender key>/<id of 1 to ${MAX_INBOX_ID_CHARS} characters A-Z a-z 0-9 _ ->`;
  if (toHex(r.signer) === inbox.sender) return null;
  if (isOwner) return r.value === null ? null : "the inbox's owner may only delete an inbox key, not write a value into it";
  return 'an inbox key is signed by the sender it names (or deleted by its owner); the signer is neither';
}

/** SEGMENT_BYTES slices of the value (views, not copies), the last one shorter; an empty value is one empty segment */
export function valueSegments(value: Uint8Array): Uint8Array[] {
  if (value.length === 0) return [value.subarray(0, 0)];
  const out: Uint8Array[] = [];
  for (let at = 0; at < value.length; at += SEGMENT_BYTES) out.push(value.subarray(at, at + SEGMENT_BYTES));
  return out;
}

/** how many segments a value has (0 for a tombstone) */
export function segmentCount(value: Uint8Array | null): number {
  if (value === null) return 0;
  return Math.max(1, Math.ceil(value.length / SEGMENT_BYTES));
}

/** Merkle root (shared/finality/merkle.ts) over the value's segments; EMPTY_MERKLE_ROOT for a tombstone */
export function segmentsRootOf(value: Uint8Array | null): Uint8Array {
  if (value === null) return EMPTY_MERKLE_ROOT.slice();
  return merkleRoot(valueSegments(value));
}

/** throws StarError('INVALID_ARGUMENT') when the sender is not 64 lower-case hex or the id not 1–64 of [A-Za-z0-9_-] */
export function inboxName(senderHex: string, id: string): string {
  if (!SENDER_HEX.test(senderHex)) throw new StarError('INVALID_ARGUMENT', 'an inbox sender must be a 32-byte public key in lower-case hex (64 characters)');
  if (!INBOX_ID.test(id)) throw new StarError('INVALID_ARGUMENT', `an inbox message id must be 1 to ${MAX_INBOX_ID_CHARS} characters of A-Z a-z 0-9 _ -`);
  return `${INBOX_PREFIX}${senderHex}/${id}`;
}

/** the sender hex and id of an inbox name, or null when the name is not an inbox key */
export function parseInboxName(name: string): { sender: string; id: string } | null {
  const m = INBOX_NAME.exec(name);
  return m ? { sender: m[1]!, id: m[2]! } : null;
}

/** the item Ed25519Verifier.verify/verifyMany checks for this record's signature */
export function recordVerifyItem(r: SignedRecord): VerifyItem {
  return { pk: r.signer, message: signingBytesOf(r), sig: r.sig };
}

/** signs with the account's Signer; throws StarError('INVALID_ARGUMENT') when the record breaks a rule or the signer is not `r.signer` */
export async function signRecord(signer: Signer, r: UnsignedRecord): Promise<SignedRecord> {
  if (!(r.signer instanceof Uint8Array) || !bytesEqual(signer.pk, r.signer)) throw new StarError('INVALID_ARGUMENT', "the record's signer is not this account");
  const problem = recordProblem(r);
  if (problem) throw new StarError('INVALID_ARGUMENT', `cannot store this record: ${problem}`);
  const signing = recordSigningBytes(r);
  const signed: SignedRecord = { ...r, sig: await signer.sign(signing) };
  const bytes = withSig(signing, signed.sig);
  if (bytes !== undefined) encodings.set(signed, bytes);
  checked.add(signed);
  return signed;
}

/** records that passed recordProblem when they were decoded or signed (never changed since: see `encodings`) */
const checked = new WeakSet<SignedRecord>();

/** recordProblem, skipped for a record decoded or signed here (it passed then) */
export function signedRecordProblem(r: SignedRecord): string | null {
  return checked.has(r) ? null : recordProblem(r);
}
