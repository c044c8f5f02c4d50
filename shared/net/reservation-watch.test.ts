import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReservationWatch } from './reservation-watch.ts';

describe('reservation watch', () => {
  const backoff = { baseMs: 60_000, maxMs: 300_000 };
  const watch = () => new ReservationWatch({ graceMs: 30_000, backoff, random: () => 1 });

  it('waits out the grace period for a reservation, then asks for a reconnection once', () => {
    const w = watch();
    assert.equal(w.observe(true, false, 0), 'waiting');
    assert.equal(w.observe(true, false, 29_999), 'waiting');
    assert.equal(w.observe(true, false, 30_000), 'renew');
    assert.equal(w.renewals, 1);
  });

  it('never renews a Star that holds its reservation, and forgets past renewals once it does', () => {
    const w = watch();
    w.observe(true, false, 0);
    w.observe(true, false, 30_000);
    assert.equal(w.observe(true, true, 31_000), 'reachable');
    assert.equal(w.renewals, 0);
    assert.equal(w.observe(true, true, 10 * 60_000), 'reachable');
    // lost again later: a fresh grace period, not the backoff
    assert.equal(w.observe(true, false, 11 * 60_000), 'waiting');
    assert.equal(w.observe(true, false, 11 * 60_000 + 30_000), 'renew');
  });

  it('backs off when renewals do not help (the relay may be full)', () => {
    const w = watch();
    let now = 0;
    const renewAt: number[] = [];
    w.observe(true, false, now);
    while (renewAt.length < 5) {
      now += 1_000;
      // the reconnection a renewal causes: offline for a moment, then connected again
      if (w.observe(true, false, now) === 'renew') {
        renewAt.push(now);
        assert.equal(w.observe(false, false, now), 'offline');
        assert.equal(w.observe(true, false, now), 'waiting');
      }
    }
    const gaps = renewAt.slice(1).map((t, i) => t - renewAt[i]!);
    assert.deepEqual(gaps, [60_000, 120_000, 240_000, 300_000]);
  });

  it('does not count time without a relay connection against the grace period', () => {
    const w = watch();
    assert.equal(w.observe(false, false, 0), 'offline');
    assert.equal(w.observe(false, false, 100_000), 'offline');
    assert.equal(w.observe(true, false, 100_000), 'waiting');
    assert.equal(w.observe(true, false, 129_999), 'waiting');
    assert.equal(w.observe(true, false, 130_000), 'renew');
  });
});
