import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { checkClusterPolicy, clusterOf, DEFAULT_CLUSTER_POLICY, jumpHash, nextClusterCount, partitionRoster } from './clusters.ts';
import { seatsAfter, clusterSeatsAfter } from './round-support.ts';
import { genesisBlackhole, blackholeHash, type BlackholeBlock } from './blackhole.ts';
import { merkleRoot } from './merkle.ts';

const key = (i: number) => sha256(Uint8Array.of(0x43, i >> 8, i & 0xff));
const keys = (n: number) => Array.from({ length: n }, (_, i) => key(i));

/** A Blackhole block with this roster and cluster count (only the fields membership reads). */
function blockWith(roster: Uint8Array[], clusterCount: number): BlackholeBlock {
  const g = genesisBlackhole('clusters-test', [key(9_999)], new Map());
  const sorted = [...roster].sort((a, b) => (toHex(a) < toHex(b) ? -1 : 1));
  return { ...g, header: { ...g.header, clusterCount, rosterRoot: merkleRoot(sorted) }, body: { ...g.body, roster: sorted } };
}

describe('cluster membership', () => {
  it('is a function of the key and the count alone', () => {
    for (let i = 0; i < 200; i++) {
      assert.equal(clusterOf(key(i), 1), 0);
      const c = clusterOf(key(i), 7);
      assert.ok(c >= 0 && c < 7);
      assert.equal(clusterOf(key(i).slice(), 7), c, 'same key, same cluster');
    }
  });

  it('keeps clusters balanced: 10,000 keys over 16 clusters within 15 % of the mean', () => {
    const sizes = partitionRoster(keys(10_000), 16).map((m) => m.length);
    const mean = 10_000 / 16;
    for (const s of sizes) assert.ok(Math.abs(s - mean) / mean < 0.15, `a cluster of ${s} (mean ${mean})`);
  });

  it('a split from c to c+1 moves only keys into the new cluster, about 1/(c+1) of them', () => {
    const all = keys(5_000);
    for (const c of [1, 3, 8, 20]) {
      let moved = 0;
      for (const pk of all) {
        const before = clusterOf(pk, c);
        const after = clusterOf(pk, c + 1);
        if (before !== after) {
          moved++;
          assert.equal(after, c, 'a moved key goes to the new cluster');
        }
      }
      const share = moved / all.length;
      assert.ok(Math.abs(share - 1 / (c + 1)) < 0.03, `c=${c}: moved ${share}`);
    }
  });

  it('jumpHash matches the published algorithm for known keys', () => {
    // expected values from the paper's C code (Lamping & Veach, 2014), compiled with gcc
    assert.equal(jumpHash(0n, 1), 0);
    assert.equal(jumpHash(0n, 100), 0);
    assert.equal(jumpHash(1n, 10), 6);
    assert.equal(jumpHash(0xdeadbeefn, 1000), 285);
    assert.equal(jumpHash(0xffffffffffffffffn, 12345), 5934);
  });

  it('facilitators of each cluster come from its own members, and are the same when recomputed from the block', () => {
    const block = blockWith(keys(200), 5);
    const hash = blackholeHash(block.header);
    const all = clusterSeatsAfter(block, hash, 4);
    assert.equal(all.length, 5);
    all.forEach((seats, c) => {
      assert.equal(seats.length, 4);
      for (const pk of seats) assert.equal(clusterOf(pk, 5), c);
      assert.deepEqual(seatsAfter(block, hash, 4, c).map(toHex), seats.map(toHex));
    });
  });
});

describe('splitting and merging', () => {
  const p = DEFAULT_CLUSTER_POLICY;

  it('holds the count while every cluster is within bounds', () => {
    assert.equal(nextClusterCount(1, keys(60), [], p), 1);
    assert.equal(nextClusterCount(4, keys(150), [], p), 4);
  });

  it('splits when a cluster passes splitAbove, to about targetSize Stars each', () => {
    assert.equal(nextClusterCount(1, keys(65), [], p), 2);
    // 1,000 Stars at once: straight to ceil(1000 / 40)
    assert.equal(nextClusterCount(1, keys(1_000), [], p), 25);
  });

  it('splits when a checkpoint passes splitAboveEntries, whatever the size', () => {
    assert.equal(nextClusterCount(2, keys(40), [{ cluster: 1, entries: p.splitAboveEntries + 1 }], p), 3);
    assert.equal(nextClusterCount(2, keys(40), [{ cluster: 1, entries: p.splitAboveEntries }], p), 2);
  });

  it('merges when one cluster fewer would average under mergeBelow, and does not flap back', () => {
    const merged = nextClusterCount(10, keys(100), [], p);
    assert.ok(merged < 10);
    assert.equal(nextClusterCount(merged, keys(100), [], p), merged, 'the merged count holds');
    assert.equal(nextClusterCount(2, keys(0), [], p), 1);
  });

  it('never leaves 1..MAX_CLUSTERS', () => {
    assert.equal(nextClusterCount(1, [], [], p), 1);
    assert.equal(nextClusterCount(1_024, keys(3_000), [{ cluster: 0, entries: 5_000 }], p), 1_024);
  });

  it('refuses a policy whose thresholds could flap', () => {
    assert.throws(() => checkClusterPolicy({ splitAbove: 40, mergeBelow: 20, splitAboveEntries: 100 }), /at least 3 × mergeBelow/);
    assert.throws(() => checkClusterPolicy({ splitAbove: 0, mergeBelow: 0, splitAboveEntries: 1 }), /whole number/);
    assert.deepEqual(checkClusterPolicy(p), p);
  });
});
