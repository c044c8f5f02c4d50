import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DialPlanner, type DialPlannerConfig } from './dial-planner.ts';

const config: DialPlannerConfig = { maxDirect: 3, maxParallelDials: 2, yieldMs: 1_000, retry: { baseMs: 1_000, maxMs: 8_000 }, forgetAfterMs: 10_000 };
const half = () => 0.5;

describe('dial planner', () => {
  it('dials a peer with a larger id at once, and waits for one with a smaller id to dial first', () => {
    const p = new DialPlanner('m', config, half);
    p.discovered('z', 0);
    p.discovered('a', 0);
    assert.deepEqual(p.plan(0), ['z']);
    assert.deepEqual(p.plan(999), []);
    assert.deepEqual(p.plan(1_000), ['a']); // 'a' did not dial us in time
  });

  it('never dials itself or a peer already connected or being dialed', () => {
    const p = new DialPlanner('a', config, half);
    p.discovered('a', 0);
    p.discovered('b', 0);
    p.discovered('c', 0);
    p.directOpened('c');
    assert.deepEqual(p.plan(0), ['b']);
    assert.deepEqual(p.plan(0), []);
  });

  it('respects the parallel-dial and direct-connection caps', () => {
    const p = new DialPlanner('a', config, half);
    for (const peer of ['b', 'c', 'd', 'e', 'f']) p.discovered(peer, 0);
    assert.equal(p.plan(0).length, 2); // maxParallelDials
    p.directOpened('b');
    p.directOpened('c');
    assert.equal(p.plan(0).length, 1); // 2 connected + 0 dialing, maxDirect 3
    p.directOpened('d');
    assert.deepEqual(p.plan(0), []);
    assert.equal(p.directCount, 3);
  });

  it('retries a failed peer only after a growing backoff', () => {
    const p = new DialPlanner('a', config, half);
    p.discovered('b', 0);
    assert.deepEqual(p.plan(0), ['b']);
    p.dialFailed('b', 0); // next at 0 + 750
    assert.deepEqual(p.plan(749), []);
    assert.deepEqual(p.plan(750), ['b']);
    p.dialFailed('b', 750); // next at 750 + 1500
    assert.deepEqual(p.plan(2_249), []);
    assert.deepEqual(p.plan(2_250), ['b']);
  });

  it('prefers peers that failed less', () => {
    const p = new DialPlanner('a', { ...config, maxParallelDials: 1 }, half);
    p.discovered('b', 0);
    p.discovered('c', 0);
    assert.deepEqual(p.plan(0), ['b']);
    p.dialFailed('b', 0);
    assert.deepEqual(p.plan(10_000), ['c']);
  });

  it('forgets peers that stopped announcing themselves', () => {
    const p = new DialPlanner('a', config, half);
    p.discovered('b', 0);
    p.directOpened('b');
    p.directClosed('b', 1_000);
    assert.deepEqual(p.plan(20_000), []);
    assert.equal(p.knows('b'), false);
    p.discovered('b', 20_000);
    assert.equal(p.knows('b'), true);
    assert.deepEqual(p.plan(20_000), ['b']);
  });
});
