/**
 * Proof of data possession: auditors draw (key, segment) challenges from the round seed, a
 * holder answers with the segment and its Merkle path against the segment root the owner
 * signed, and the auditor's log tallies passes, failures and late answers for reputation.
 *
 * Drawing (pickChallenges): the candidates are deduplicated by (holder, record digest) and
 * sorted by (holder, digest), so the order an auditor learnt them in does not matter. Draw k
 * (k = 0, 1, …) hashes h_k = sha256(seed ‖ UTF-8(auditor) ‖ k as 4 bytes big-endian); the
 * first 6 bytes of h_k, big-endian, modulo the number of candidates left, pick a candidate
 * (without replacement: one challenge per (holder, version) per draw set), and the next 6
 * bytes modulo the record's segment count pick the segment. Tombstones (no segments) and
 * empty values (one empty segment: nothing to possess) are never challenged.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeCanonical, encodeCanonical, isRecord, type CborValue } from '../codec/cbor.ts';
import { merkleProof, verifyMerkleProof, type MerkleProof } from '../finality/merkle.ts';
import { MAX_VALUE_BYTES, recordDigest, recordKey, SEGMENT_BYTES, segmentCount, valueSegments } from './record.ts';
import type { MemberId, SignedRecord, StorageKey } from './types.ts';

export interface AuditChallenge {
  holder: MemberId;
  key: StorageKey;
  /** recordDigest of the version challenged */
  digest: string;
  segment: number;
}

export interface AuditAnswer {
  segment: Uint8Array;
  proof: MerkleProof;
}

export type AuditOutcome = 'passed' | 'failed' | 'late';

/** how long a holder has to answer a challenge, from the moment it is sent */
export const AUDIT_DEADLINE_MS = 5_000;
/** the most segments a value can have, and the longest Merkle path over them */
export const MAX_SEGMENTS = Math.ceil(MAX_VALUE_BYTES / SEGMENT_BYTES);
const MAX_SEGMENT_DEPTH = Math.ceil(Math.log2(MAX_SEGMENTS));
/** an encoded answer never exceeds this (a full segment and the longest path a value can have) */
export const MAX_AUDIT_ANSWER_BYTES = SEGMENT_BYTES + 64 + MAX_SEGMENT_DEPTH * 34;
const AUDIT_ANSWER_VERSION = 1;
const HASH_BYTES = 32;

const utf8 = new TextEncoder();

function drawHash(seed: Uint8Array, auditor: Uint8Array, k: number): Uint8Array {
  const data = new Uint8Array(seed.length + auditor.length + 4);
  data.set(seed, 0);
  data.set(auditor, seed.length);
  new DataView(data.buffer).setUint32(seed.length + auditor.length, k, false);
  return sha256(data);
}

/** 6 bytes big-endian from `at`: below 2^48, exact in a double, bias mod n negligible */
function uint48(h: Uint8Array, at: number): number {
  let x = 0;
  for (let i = at; i < at + 6; i++) x = x * 256 + h[i]!;
  return x;
}

/**
 * Deterministic from (seed, auditor): `count` challenges over the candidate (holder, record)
 * pairs the auditor knows, each naming a segment index inside that record's value. Tombstones
 * are never challenged.
 */
export function pickChallenges(seed: Uint8Array, auditor: MemberId, candidates: readonly { holder: MemberId; record: SignedRecord }[], count: number): AuditChallenge[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`challenge count must be a whole number ≥ 0, not ${count}`);
  const byId = new Map<string, { holder: MemberId; record: SignedRecord; digest: string }>();
  for (const c of candidates) {
    if (c.record.value === null || c.record.value.length === 0) continue;
    const digest = recordDigest(c.record);
    byId.set(`${c.holder}\u0000${digest}`, { holder: c.holder, record: c.record, digest });
  }
  const pool = [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  const auditorBytes = utf8.encode(auditor);
  const out: AuditChallenge[] = [];
  for (let k = 0; out.length < count && pool.length > 0; k++) {
    const h = drawHash(seed, auditorBytes, k);
    const [picked] = pool.splice(uint48(h, 0) % pool.length, 1);
    const { holder, record, digest } = picked!;
    out.push({ holder, key: recordKey(record), digest, segment: uint48(h, 6) % segmentCount(record.value) });
  }
  return out;
}

/** the holder's answer, or null when it does not hold that version or segment */
export function answerChallenge(record: SignedRecord, segment: number): AuditAnswer | null {
  if (record.value === null || !Number.isSafeInteger(segment) || segment < 0 || segment >= segmentCount(record.value)) return null;
  const segments = valueSegments(record.value);
  return { segment: segments[segment]!, proof: merkleProof(segments, segment) };
}

/** does the answer prove segment `segment` of `record` (checked against record.segmentsRoot)? Never throws. */
export function checkAuditAnswer(record: SignedRecord, segment: number, answer: AuditAnswer): boolean {
  if (!answer || !(answer.segment instanceof Uint8Array) || !answer.proof) return false;
  const count = segmentCount(record.value);
  if (count === 0 || !Number.isSafeInteger(segment) || segment < 0 || segment >= count) return false;
  const { proof } = answer;
  if (proof.index !== segment || proof.count !== count) return false;
  // Every segment is full but the last (which is the rest of the value, possibly empty for an empty value).
  const expected = segment < count - 1 ? SEGMENT_BYTES : record.value!.length - (count - 1) * SEGMENT_BYTES;
  if (answer.segment.length !== expected) return false;
  return verifyMerkleProof(answer.segment, proof, record.segmentsRoot);
}

/**
 * The auditor's verdict: no answer or a wrong one fails; a right one after the deadline is
 * late (the holder has the data but was too slow to count as available).
 */
export function auditOutcome(record: SignedRecord, segment: number, answer: AuditAnswer | null, answeredInMs: number, deadlineMs: number = AUDIT_DEADLINE_MS): AuditOutcome {
  if (!answer || !checkAuditAnswer(record, segment, answer)) return 'failed';
  return answeredInMs <= deadlineMs ? 'passed' : 'late';
}

/** an answer on the wire: canonical CBOR { v, segment, index, count, siblings } */
export function encodeAuditAnswer(answer: AuditAnswer): Uint8Array {
  return encodeCanonical({ v: AUDIT_ANSWER_VERSION, segment: answer.segment, index: answer.proof.index, count: answer.proof.count, siblings: answer.proof.siblings });
}

/** shape and size only (checkAuditAnswer judges the content); null when malformed */
export function decodeAuditAnswer(bytes: Uint8Array): AuditAnswer | null {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_AUDIT_ANSWER_BYTES) return null;
  let v: CborValue;
  try {
    v = decodeCanonical(bytes);
  } catch {
    return null;
  }
  if (!isRecord(v) || Object.keys(v).length !== 5 || v.v !== AUDIT_ANSWER_VERSION) return null;
  const { segment, index, count, siblings } = v;
  if (!(segment instanceof Uint8Array) || segment.length > SEGMENT_BYTES) return null;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) return null;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > MAX_SEGMENTS || index >= count) return null;
  if (!Array.isArray(siblings) || siblings.length > MAX_SEGMENT_DEPTH) return null;
  if (!siblings.every((s): s is Uint8Array => s instanceof Uint8Array && s.length === HASH_BYTES)) return null;
  return { segment, proof: { index, count, siblings } };
}

export interface AuditTally {
  passed: number;
  failed: number;
  late: number;
}

/** outcomes per holder, as reputation will read them */
export class AuditLog {
  private readonly byHolder = new Map<MemberId, AuditTally>();

  note(holder: MemberId, outcome: AuditOutcome): void {
    if (outcome !== 'passed' && outcome !== 'failed' && outcome !== 'late') throw new RangeError(`unknown audit outcome ${String(outcome)}`);
    let t = this.byHolder.get(holder);
    if (!t) this.byHolder.set(holder, (t = { passed: 0, failed: 0, late: 0 }));
    t[outcome]++;
  }
  /** a copy; all zeros for a holder never audited */
  tally(holder: MemberId): AuditTally {
    const t = this.byHolder.get(holder);
    return t ? { ...t } : { passed: 0, failed: 0, late: 0 };
  }
  /** the holders with at least one outcome, sorted */
  holders(): MemberId[] {
    return [...this.byHolder.keys()].sort();
  }
}

