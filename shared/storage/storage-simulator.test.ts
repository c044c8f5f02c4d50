import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulateStorage, type StorageSimResult } from './storage-simulator.ts';

function assertDurableAndConverged(r: StorageSimResult, label: string): void {
  assert.deepEqual(r.lost, [], `${label}: acknowledged writes lost`);
  assert.equal(r.underReplicatedAfter, 0, `${label}: keys under-replicated after settling`);
  assert.equal(r.overReplicatedAfter, 0, `${label}: keys held off their preference list after settling`);
  assert.equal(r.divergentAfter, 0, `${label}: replicas with different versions after settling`);
  assert.equal(r.hintsAfter, 0, `${label}: hints left`);
  assert.equal(r.converged, true);
  assert.equal(r.penalties, 0, `${label}: honest Stars penalised`);
}

describe('storage simulator', () => {
  it('200 Stars, a third leave (half of them for good) and as many join over time: no acknowledged write is lost and every key is back on exactly its 3 replicas', () => {
    const r = simulateStorage({ stars: 200, seed: 1, keys: 150, churn: 1 / 3, permanent: 0.5, loss: 0.02 });
    assert.equal(r.stars.left, 67);
    assert.equal(r.stars.joined, 67);
    assert.ok(r.stars.gone >= 30 && r.stars.returned >= 30, JSON.stringify(r.stars));
    assert.ok(r.puts.acked >= 0.97 * r.puts.issued, `acked ${r.puts.acked} of ${r.puts.issued}`);
    assert.ok(r.keys >= 100, `${r.keys} keys`);
    assertDurableAndConverged(r, '200 Stars');
    // churn really moved data: keys went under-replicated and were repaired
    assert.ok(r.underReplicatedPeak > 0 && r.keysRepaired > 0 && r.transfers > 0, JSON.stringify({ peak: r.underReplicatedPeak, repaired: r.keysRepaired, transfers: r.transfers }));
  });

  it('a lossy, slow network with heavier churn: still no loss, and it converges', () => {
    const r = simulateStorage({ stars: 50, seed: 7, keys: 120, churn: 0.6, loss: 0.1, latency: [20, 200] });
    assertDurableAndConverged(r, 'lossy');
    assert.ok(r.handoffs > 0, 'hinted versions were handed back');
  });

  it('the convergence check has teeth: without anti-entropy, churn leaves keys off their preference lists', () => {
    const r = simulateStorage({ stars: 40, seed: 3, keys: 120, churn: 0.5, timing: { antiEntropyEveryMs: Infinity } });
    assert.equal(r.converged, false);
    assert.ok(r.underReplicatedAfter + r.divergentAfter > 0);
  });

  it('replays exactly from its seed', () => {
    const opts = { stars: 24, seed: 11, keys: 40, durationMs: 20_000, settleMs: 30_000, loss: 0.05 };
    const a = simulateStorage(opts);
    const b = simulateStorage(opts);
    assert.deepEqual(a, b);
    assertDurableAndConverged(a, 'small');
  });
});
