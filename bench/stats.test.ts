import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentile } from './stats.ts';

describe('percentile (nearest rank)', () => {
  it('picks the nearest-rank value', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(v, 50), 50);
    assert.equal(percentile(v, 99), 99);
    assert.equal(percentile(v, 100), 100);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});
