import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { FACILITATORS_PER_ROUND, selectFacilitators, selectionDraw } from './facilitators.ts';

const key = (i: number) => sha256(Uint8Array.of(0x50, i));
const seed = (i: number) => sha256(new TextEncoder().encode(`seed ${i}`));
const roster = (n: number) => Array.from({ length: n }, (_, i) => key(i));
const ids = (pks: Uint8Array[]) => pks.map(toHex);

describe('facilitator selection', () => {
  it('is deterministic and independent of roster order', () => {
    const r = roster(20);
    const a = selectFacilitators(seed(1), r);
    assert.equal(a.length, FACILITATORS_PER_ROUND);
    assert.deepEqual(ids(selectFacilitators(seed(1), r)), ids(a));
    assert.deepEqual(ids(selectFacilitators(seed(1), [...r].reverse())), ids(a));
    assert.notDeepEqual(ids(selectFacilitators(seed(2), r)), ids(a));
    assert.equal(new Set(ids(a)).size, a.length);
  });

  it('orders seats by key: a larger count extends the smaller selection', () => {
    const r = roster(30);
    const four = ids(selectFacilitators(seed(3), r, { count: 4 }));
    const seven = ids(selectFacilitators(seed(3), r, { count: 7 }));
    assert.deepEqual(seven.slice(0, 4), four);
  });

  it('draws lie strictly inside (0, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const u = selectionDraw(seed(i), key(i));
      assert.ok(u > 0 && u < 1, `u=${u}`);
    }
    assert.ok(selectionDraw(new Uint8Array(32).fill(0xff), new Uint8Array(0)) < 1);
  });

  it('dedupes the roster; count > roster gives all of it', () => {
    const r = roster(3);
    const withDupes = [...r, r[0]!, r[1]!, r[0]!];
    const all = selectFacilitators(seed(4), withDupes, { count: 10 });
    assert.equal(all.length, 3);
    assert.deepEqual([...ids(all)].sort(), [...ids(r)].sort());
    assert.equal(selectFacilitators(seed(4), [key(1), key(1), key(1)]).length, 1);
    assert.deepEqual(selectFacilitators(seed(4), []), []);
    assert.deepEqual(selectFacilitators(seed(4), r, { count: 0 }), []);
  });

  it('never chooses an excluded key (or one of weight 0)', () => {
    const r = roster(8);
    const excluded = new Set([toHex(r[0]!), toHex(r[3]!), toHex(r[5]!)]);
    const weights = new Map([[toHex(r[6]!), 0]]);
    for (let s = 0; s < 300; s++) {
      const chosen = ids(selectFacilitators(seed(s), r, { count: 8, excluded, weights }));
      assert.equal(chosen.length, 4);
      for (const id of chosen) assert.ok(!excluded.has(id) && id !== toHex(r[6]!));
    }
  });

  it('uniform weights: every roster member is equally likely (chi-square, loose bound)', () => {
    const n = 10;
    const r = roster(n);
    const counts = new Map(ids(r).map((id) => [id, 0]));
    const trials = 4000;
    for (let s = 0; s < trials; s++) {
      for (const id of ids(selectFacilitators(seed(s), r))) counts.set(id, counts.get(id)! + 1);
    }
    const expected = (trials * FACILITATORS_PER_ROUND) / n;
    let chi = 0;
    for (const c of counts.values()) chi += (c - expected) ** 2 / expected;
    // 9 degrees of freedom: P(chi² > 40) ≈ 1e-5 for a uniform selection.
    assert.ok(chi < 40, `chi-square ${chi.toFixed(1)} for counts ${[...counts.values()]}`);
    // each seat position is uniform too: the first seat
    const first = new Map(ids(r).map((id) => [id, 0]));
    for (let s = 0; s < trials; s++) {
      const id = toHex(selectFacilitators(seed(s), r)[0]!);
      first.set(id, first.get(id)! + 1);
    }
    let chiFirst = 0;
    for (const c of first.values()) chiFirst += (c - trials / n) ** 2 / (trials / n);
    assert.ok(chiFirst < 40, `first-seat chi-square ${chiFirst.toFixed(1)}`);
  });

  it('weights 1:2:4: a single seat goes to each in proportion to its weight', () => {
    const r = roster(3);
    const weights = new Map([
      [toHex(r[0]!), 1],
      [toHex(r[1]!), 2],
      [toHex(r[2]!), 4],
    ]);
    const trials = 7000;
    const counts = [0, 0, 0];
    for (let s = 0; s < trials; s++) {
      const id = toHex(selectFacilitators(seed(s), r, { count: 1, weights })[0]!);
      counts[ids(r).indexOf(id)]!++;
    }
    const shares = counts.map((c) => c / trials);
    [1 / 7, 2 / 7, 4 / 7].forEach((p, i) => assert.ok(Math.abs(shares[i]! - p) < 0.03, `weight share ${i}: ${shares[i]} vs ${p}`));
  });

  it('huge weights do not underflow into ties', () => {
    const r = roster(5);
    const weights = new Map(ids(r).map((id, i) => [id, 1e300 * (i + 1)]));
    const chosen = selectFacilitators(seed(9), r, { weights, count: 5 });
    assert.equal(new Set(ids(chosen)).size, 5);
  });
});
