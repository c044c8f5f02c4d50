import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import {
  answerChallenge,
  AUDIT_DEADLINE_MS,
  auditOutcome,
  AuditLog,
  checkAuditAnswer,
  decodeAuditAnswer,
  encodeAuditAnswer,
  MAX_AUDIT_ANSWER_BYTES,
  MAX_SEGMENTS,
  pickChallenges,
  type AuditAnswer,
} from './audit.ts';
import { MAX_VALUE_BYTES, recordDigest, SEGMENT_BYTES, segmentCount } from './record.ts';
import { testWriter } from './test-writer.ts';
import type { SignedRecord } from './types.ts';

const alice = testWriter(1);
/** pseudo-random bytes, so no two segments of a value are alike */
function bytes(n: number, seed = 1): Uint8Array {
  let x = (seed * 2654435761) >>> 0 || 1;
  return Uint8Array.from({ length: n }, () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 24));
}
const seed = sha256(Uint8Array.of(42));
const holders = ['aa'.repeat(32), 'bb'.repeat(32), 'cc'.repeat(32)];
const auditor = 'dd'.repeat(32);

/** an honest holder answers every segment of a record, and the auditor accepts each */
function answersAll(record: SignedRecord): void {
  for (let s = 0; s < segmentCount(record.value); s++) {
    const a = answerChallenge(record, s);
    assert.ok(a, `segment ${s}`);
    assert.ok(checkAuditAnswer(record, s, a), `segment ${s}`);
  }
}

describe('storage audits', () => {
  it("accept the honest holder's answer for every segment of values of every size", () => {
    for (const size of [0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 5 * SEGMENT_BYTES + 3, MAX_VALUE_BYTES]) {
      answersAll(alice.write(`v${size}`, bytes(size, size), { d: 1 }));
    }
    const r = alice.write('k', bytes(3 * SEGMENT_BYTES + 10), { d: 1 });
    assert.deepEqual([...answerChallenge(r, 3)!.segment], [...bytes(3 * SEGMENT_BYTES + 10).subarray(3 * SEGMENT_BYTES)]);
  });

  it('reject a holder missing the segment, with a tampered segment, or answering another index', () => {
    const r = alice.write('k', bytes(5 * SEGMENT_BYTES + 100), { d: 1 });
    const honest = answerChallenge(r, 2)!;
    // A holder without the value (a tombstone or another version in its place) has nothing to answer with.
    assert.equal(answerChallenge(alice.write('k', null, { d: 2 }), 0), null);
    assert.equal(answerChallenge(r, 6), null, 'no such segment');
    assert.equal(answerChallenge(r, -1), null);
    assert.equal(answerChallenge(r, 1.5), null);
    // A holder that kept another value under the same key cannot prove this record's root.
    const other = alice.write('k', bytes(5 * SEGMENT_BYTES + 100, 9), { d: 1 });
    assert.equal(checkAuditAnswer(r, 2, answerChallenge(other, 2)!), false, 'a different value');
    const tampered = honest.segment.slice();
    tampered[17]! ^= 1;
    assert.equal(checkAuditAnswer(r, 2, { ...honest, segment: tampered }), false, 'a flipped bit');
    assert.equal(checkAuditAnswer(r, 2, { ...honest, segment: honest.segment.subarray(0, 100) }), false, 'a truncated segment');
    assert.equal(checkAuditAnswer(r, 2, { ...honest, segment: new Uint8Array(SEGMENT_BYTES) }), false, 'zeros');
    // Answering another (held) segment, with its own valid proof, is not an answer to this one.
    assert.equal(checkAuditAnswer(r, 2, answerChallenge(r, 3)!), false, 'another index');
    assert.equal(checkAuditAnswer(r, 2, { ...answerChallenge(r, 3)!, proof: { ...answerChallenge(r, 3)!.proof, index: 2 } }), false, 'relabelled index');
    assert.equal(checkAuditAnswer(r, 3, honest), false, 'the right data for the wrong challenge');
    assert.equal(checkAuditAnswer(r, 2, { ...honest, proof: { ...honest.proof, count: 7 } }), false, 'a count other than the record’s');
    assert.equal(checkAuditAnswer(r, 2, { ...honest, proof: { ...honest.proof, siblings: honest.proof.siblings.slice(1) } }), false, 'a short path');
    assert.equal(checkAuditAnswer(r, 2, { segment: honest.segment } as AuditAnswer), false, 'no proof');
    assert.equal(checkAuditAnswer(r, 2, null as unknown as AuditAnswer), false, 'no answer');
    assert.equal(checkAuditAnswer({ ...r, segmentsRoot: sha256(Uint8Array.of(1)) }, 2, honest), false, 'proved against the signed root only');
    assert.ok(checkAuditAnswer(r, 2, honest));
  });

  it('pickChallenges is deterministic, independent of input order, and varies with seed and auditor', () => {
    const records = Array.from({ length: 12 }, (_, i) => alice.write(`k${i}`, bytes(1 + i * 700, i), { d: 1 + i }));
    const candidates = records.flatMap((record, i) => [holders[i % 3]!, holders[(i + 1) % 3]!].map((holder) => ({ holder, record })));
    const picked = pickChallenges(seed, auditor, candidates, 10);
    assert.equal(picked.length, 10);
    assert.deepEqual(pickChallenges(seed, auditor, candidates, 10), picked);
    const shuffled = [...candidates].reverse();
    shuffled.push(shuffled.shift()!, shuffled.shift()!);
    assert.deepEqual(pickChallenges(seed, auditor, shuffled, 10), picked, 'order does not matter');
    assert.deepEqual(pickChallenges(seed, auditor, [...candidates, ...candidates], 10), picked, 'duplicates count once');
    assert.deepEqual(pickChallenges(seed, auditor, candidates, 4), picked.slice(0, 4), 'a shorter draw is a prefix');
    assert.notDeepEqual(pickChallenges(sha256(Uint8Array.of(43)), auditor, candidates, 10), picked);
    assert.notDeepEqual(pickChallenges(seed, 'ee'.repeat(32), candidates, 10), picked);

    const byDigest = new Map(records.map((r) => [recordDigest(r), r]));
    const seen = new Set<string>();
    for (const c of picked) {
      const record = byDigest.get(c.digest);
      assert.ok(record, 'names a candidate version');
      assert.deepEqual(c.key, { owner: alice.pkHex, name: record.name });
      assert.ok(candidates.some((x) => x.holder === c.holder && x.record === record), 'a pair the auditor offered');
      assert.ok(Number.isInteger(c.segment) && c.segment >= 0 && c.segment < segmentCount(record.value));
      assert.ok(!seen.has(`${c.holder}/${c.digest}`), 'no pair twice');
      seen.add(`${c.holder}/${c.digest}`);
      assert.ok(checkAuditAnswer(record, c.segment, answerChallenge(record, c.segment)!));
    }
    assert.equal(pickChallenges(seed, auditor, candidates, 1000).length, candidates.length, 'at most one challenge per pair');
    assert.deepEqual(pickChallenges(seed, auditor, candidates, 0), []);
    assert.deepEqual(pickChallenges(seed, auditor, [], 5), []);
    assert.throws(() => pickChallenges(seed, auditor, candidates, -1), RangeError);
    assert.throws(() => pickChallenges(seed, auditor, candidates, 1.5), RangeError);
  });

  it('pickChallenges spreads over holders and segments', () => {
    const big = alice.write('big', bytes(16 * SEGMENT_BYTES), { d: 1 });
    const segs = new Set<number>();
    const hs = new Set<string>();
    for (let s = 0; s < 100; s++) {
      for (const c of pickChallenges(sha256(Uint8Array.of(s, 1)), auditor, holders.map((holder) => ({ holder, record: big })), 1)) {
        segs.add(c.segment);
        hs.add(c.holder);
      }
    }
    assert.equal(hs.size, 3);
    assert.equal(segs.size, 16, `only ${segs.size} of 16 segments drawn in 100 rounds`);
  });

  it('never challenges tombstones (nor empty values)', () => {
    const candidates = holders.flatMap((holder) => [
      { holder, record: alice.write('gone', null, { d: 2 }) },
      { holder, record: alice.write('empty', new Uint8Array(0), { d: 1 }) },
    ]);
    assert.deepEqual(pickChallenges(seed, auditor, candidates, 10), []);
    const live = alice.write('live', bytes(10), { d: 1 });
    const picked = pickChallenges(seed, auditor, [...candidates, { holder: holders[0]!, record: live }], 10);
    assert.deepEqual(picked.map((c) => [c.holder, c.key.name, c.segment]), [[holders[0], 'live', 0]]);
    assert.equal(checkAuditAnswer(alice.write('gone', null, { d: 2 }), 0, answerChallenge(live, 0)!), false);
  });

  it('answers cross the wire canonically and malformed ones decode to null', () => {
    const r = alice.write('k', bytes(MAX_VALUE_BYTES), { d: 1 });
    for (const s of [0, 31, MAX_SEGMENTS - 1]) {
      const a = answerChallenge(r, s)!;
      const enc = encodeAuditAnswer(a);
      assert.ok(enc.length <= MAX_AUDIT_ANSWER_BYTES, `${enc.length} bytes`);
      const d = decodeAuditAnswer(enc);
      assert.ok(d);
      assert.ok(checkAuditAnswer(r, s, d));
      assert.equal(toHex(encodeAuditAnswer(d)), toHex(enc));
    }
    const a = answerChallenge(r, 5)!;
    assert.equal(decodeAuditAnswer(Uint8Array.of(1, 2)), null);
    assert.equal(decodeAuditAnswer(encodeAuditAnswer({ ...a, segment: new Uint8Array(SEGMENT_BYTES + 1) })), null);
    assert.equal(decodeAuditAnswer(encodeAuditAnswer({ ...a, proof: { ...a.proof, siblings: [new Uint8Array(31), ...a.proof.siblings.slice(1)] } })), null);
    assert.equal(decodeAuditAnswer(encodeAuditAnswer({ ...a, proof: { ...a.proof, index: 64 } })), null);
    assert.equal(decodeAuditAnswer(encodeAuditAnswer({ ...a, proof: { ...a.proof, count: MAX_SEGMENTS + 1 } })), null);
    assert.equal(decodeAuditAnswer(encodeAuditAnswer({ ...a, proof: { ...a.proof, siblings: Array(7).fill(new Uint8Array(32)) } })), null);
    assert.equal(decodeAuditAnswer(new Uint8Array(MAX_AUDIT_ANSWER_BYTES + 1)), null);
  });

  it('auditOutcome: passed in time, late after the deadline, failed when wrong or missing', () => {
    const r = alice.write('k', bytes(3000), { d: 1 });
    const a = answerChallenge(r, 1)!;
    assert.equal(auditOutcome(r, 1, a, 10), 'passed');
    assert.equal(auditOutcome(r, 1, a, AUDIT_DEADLINE_MS), 'passed');
    assert.equal(auditOutcome(r, 1, a, AUDIT_DEADLINE_MS + 1), 'late');
    assert.equal(auditOutcome(r, 1, a, 900, 500), 'late');
    assert.equal(auditOutcome(r, 0, a, 10), 'failed');
    assert.equal(auditOutcome(r, 1, null, 10), 'failed');
  });

  it('AuditLog tallies outcomes per holder', () => {
    const log = new AuditLog();
    assert.deepEqual(log.holders(), []);
    assert.deepEqual(log.tally(holders[0]!), { passed: 0, failed: 0, late: 0 });
    for (const o of ['passed', 'passed', 'late', 'failed', 'passed'] as const) log.note(holders[1]!, o);
    log.note(holders[0]!, 'failed');
    assert.deepEqual(log.tally(holders[1]!), { passed: 3, failed: 1, late: 1 });
    assert.deepEqual(log.tally(holders[0]!), { passed: 0, failed: 1, late: 0 });
    assert.deepEqual(log.holders(), [holders[0], holders[1]]);
    const copy = log.tally(holders[1]!);
    copy.passed = 99;
    assert.equal(log.tally(holders[1]!).passed, 3, 'a tally is a copy');
    assert.throws(() => log.note(holders[2]!, 'maybe' as 'passed'), RangeError);
    assert.deepEqual(log.holders(), [holders[0], holders[1]]);
  });
});
