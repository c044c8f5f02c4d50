import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StarStatus } from '../../shared/api.ts';
import { statusView, unlessSame } from './same-view.ts';

const status = (score: number, round = 3): StarStatus => ({
  relay: 'connected',
  relayInfo: { state: 'connected', url: 'ws://relay', attempts: 1, reachable: true },
  peers: [{ peerId: 'p1', direct: true, score }],
  cluster: 0,
  round,
  finalHeight: round - 1,
});

describe('unlessSame', () => {
  it('keeps the previous object when the new one is equal, so React skips the render', () => {
    const prev = { confirmed: 10, pending: 0 };
    assert.equal(unlessSame({ confirmed: 10, pending: 0 })(prev), prev);
  });

  it('takes the new object when anything differs, or when there was none', () => {
    const next = { confirmed: 11, pending: 0 };
    assert.equal(unlessSame(next)({ confirmed: 10, pending: 0 }), next);
    assert.equal(unlessSame<typeof next | null>(next)(null), next);
  });

  it('compares statuses as the wallet prints them: a score change below a tenth is no change', () => {
    const prev = status(1.21);
    assert.equal(unlessSame(status(1.24), statusView)(prev), prev);
    const moved = status(1.31);
    assert.equal(unlessSame(moved, statusView)(prev), moved);
    const nextRound = status(1.21, 4);
    assert.equal(unlessSame(nextRound, statusView)(prev), nextRound);
  });
});
