/**
 * Clusters in the SIMULATOR (shared/finality/finality-simulator.ts): the real cores with
 * per-cluster topics, splits while transfers are under way, and transfers across clusters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulateFinality } from './finality-simulator.ts';

/** 40 Stars in small clusters (a few dozen Stars already make several), sending for 4 s */
const FORTY = {
  stars: 40,
  galaxies: 4,
  seed: 3,
  signatures: 'fake',
  clusterPolicy: { splitAbove: 12, mergeBelow: 4, splitAboveEntries: 1024 },
  transfersPerStarPerSecond: 0.5,
  transfersFromMs: 2_000,
  transfersUntilMs: 6_000,
  idleProposeMs: 500,
  emptyRosterMs: 500,
} as const;

describe('clusters (simulator)', () => {
  it('a transfer whose two halves sit in different clusters finalises, and every transfer does', () => {
    const r = simulateFinality({ ...FORTY, rounds: 3, settle: true, maxTimeMs: 60_000 });
    assert.deepEqual(r.safety.violations, []);
    assert.equal(r.stalled, false);
    assert.ok(r.clusters > 1, `${r.clusters} clusters`);
    assert.equal(r.unfinal, 0);
    assert.ok(r.crossClusterFinal > 0 && r.crossClusterFinal < r.transfers.final, `${r.crossClusterFinal} of ${r.transfers.final} final transfers crossed clusters`);
    assert.ok(r.balancesAgree);
  });

  it('a transfer whose agreement never comes stays unfinal, though its proposal is final', () => {
    const r = simulateFinality({ ...FORTY, rounds: 12, neverAgree: [7] });
    assert.deepEqual(r.safety.violations, []);
    assert.ok(r.stuck.length > 0, 'some transfers went to the Star that never countersigns');
    for (const s of r.stuck) {
      assert.equal(s.receiver, 7, 'only transfers to it are stuck');
      assert.equal(s.proposalFinal, true, 'the proposal half is final all the same');
    }
    assert.ok(
      r.stuck.some((s) => s.crossCluster),
      'one of them crossed clusters',
    );
  });

  it('300 Stars: clusters split while transfers are under way, Stars move, and nothing is lost or counted twice', () => {
    const r = simulateFinality({
      stars: 300,
      galaxies: 4,
      seed: 1,
      rounds: 3,
      signatures: 'fake',
      // a checkpoint over 20 half-blocks splits its cluster: the count keeps rising under load
      clusterPolicy: { splitAbove: 64, mergeBelow: 16, splitAboveEntries: 20 },
      latency: [10, 60],
      transfersPerStarPerSecond: 0.4,
      transfersFromMs: 1,
      transfersUntilMs: 5_000,
      settle: true,
      maxTimeMs: 90_000,
      idleProposeMs: 500,
      emptyRosterMs: 500,
    });
    assert.deepEqual(r.safety.violations, [], 'no (pk, seq) with two final blocks, one block per height, one checkpoint per round and cluster');
    assert.equal(r.stalled, false);
    assert.ok(r.maxClusters > 8, `the count rose under load to ${r.maxClusters}`);
    // about one move per Star (330 before seats held back unpaired proposals, 299 after: the
    // checkpoints that drive the splits came a little smaller)
    assert.ok(r.moves > 250, `${r.moves} moves`);
    assert.equal(r.unfinal, 0, 'every transfer submitted before, during and after the moves became final');
    assert.ok(r.stars.every((s) => s.finalSetMatches), "every Star's final set is the Galaxy chain's");
    assert.ok(r.balancesAgree, 'final balances agree everywhere');
  });
});
