import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.ts';

describe('backoff', () => {
  const policy = { baseMs: 500, maxMs: 15_000 };

  it('doubles the ceiling with each attempt and jitters within its upper half', () => {
    assert.equal(backoffDelay(policy, 0, () => 0), 250);
    assert.equal(backoffDelay(policy, 0, () => 1), 500);
    assert.equal(backoffDelay(policy, 1, () => 1), 1_000);
    assert.equal(backoffDelay(policy, 3, () => 0.5), 3_000);
  });

  it('never exceeds the cap, however many attempts', () => {
    assert.equal(backoffDelay(policy, 10, () => 1), 15_000);
    assert.equal(backoffDelay(policy, 10_000, () => 1), 15_000);
  });
});
