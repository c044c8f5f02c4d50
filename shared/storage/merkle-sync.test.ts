import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { DEFAULT_SYNC_DEPTH, SyncTree, bucketOf, childIndices, diffEntries, diffTrees, differingNodes, inRange, type RingRange, type SyncEntry } from './merkle-sync.ts';
import { below48, seededRng } from '../consensus/prng.ts';

const SPACE = 2 ** 48;
const text = new TextEncoder();

/** seeded 48-bit positions and indices (the project's seeded generator) */
function rng(seed: number) {
  const r = seededRng(seed);
  return { position: () => below48(r), below: (n: number) => r.int(0, n - 1) };
}

const versionsOf = (label: string) => toHex(sha256(text.encode(label)));
const entry = (keyId: string, position: number, v = 'v1'): SyncEntry => ({ keyId, position, versions: versionsOf(`${keyId}@${v}`) });

/** the [lo, hi) positions of bucket b, the inverse of floor(offset × 2^depth / size) */
function bucketSpan(range: RingRange, depth: number, b: number): [number, number] {
  const size = BigInt(range.to - range.from === 0 ? SPACE : (range.to - range.from + SPACE) % SPACE);
  const lo = (BigInt(b) * size + (1n << BigInt(depth)) - 1n) >> BigInt(depth);
  const hi = (BigInt(b + 1) * size + (1n << BigInt(depth)) - 1n) >> BigInt(depth);
  return [Number((BigInt(range.from) + lo) % BigInt(SPACE)), Number(hi - lo)];
}

type Diff = { onlyMine: string[]; onlyTheirs: string[]; differing: string[] };

/**
 * The exchange as two replicas run it over the wire, written out with the primitives: roots
 * first, then at each level only the children of the nodes that differed, then the buckets.
 */
function exchange(mine: SyncTree, theirs: SyncTree): { diff: Diff; bucketsCompared: number } {
  let differ = differingNodes(mine.level(0), theirs.level(0));
  for (let level = 1; level <= mine.depth && differ.length > 0; level++) {
    const asked = childIndices(differ);
    const mineHashes = asked.map((i) => mine.node(level, i));
    const theirHashes = asked.map((i) => theirs.node(level, i));
    differ = differingNodes(mineHashes, theirHashes).map((j) => asked[j]!);
  }
  const diff: Diff = { onlyMine: [], onlyTheirs: [], differing: [] };
  for (const b of differ) {
    const d = diffEntries(mine.bucket(b), theirs.bucket(b));
    diff.onlyMine.push(...d.onlyMine);
    diff.onlyTheirs.push(...d.onlyTheirs);
    diff.differing.push(...d.differing);
  }
  return { diff, bucketsCompared: differ.length };
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

describe('SyncTree', () => {
  it('hashes buckets and inner nodes as specified', () => {
    const u32 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
    const field = (s: string) => [...u32(text.encode(s).length), ...text.encode(s)];
    const leaf = (es: SyncEntry[]) => sha256(Uint8Array.of(0, ...es.flatMap((e) => [...field(e.keyId), ...field(e.versions)])));
    const inner = (l: Uint8Array, r: Uint8Array) => sha256(Uint8Array.of(1, ...l, ...r));
    // depth 2 over the whole ring: buckets are quarters
    const a = entry('b/ü', 0), b = entry('a', SPACE / 4 - 1), c = entry('c', 3 * (SPACE / 4) + 5);
    const tree = new SyncTree({ from: 0, to: 0 }, [a, c, b], 2);
    const leaves = [leaf([b, a]), leaf([]), leaf([]), leaf([c])];
    assert.deepEqual(tree.level(2).map(toHex), leaves.map(toHex));
    const level1 = [inner(leaves[0]!, leaves[1]!), inner(leaves[2]!, leaves[3]!)];
    assert.deepEqual(tree.level(1).map(toHex), level1.map(toHex));
    assert.equal(toHex(tree.node(0, 0)), toHex(inner(level1[0]!, level1[1]!)));
    assert.equal(toHex(tree.root), toHex(tree.node(0, 0)));
    assert.deepEqual(tree.bucket(0).map((e) => e.keyId), ['a', 'b/ü']);
    assert.equal(tree.depth, 2);
    assert.equal(new SyncTree({ from: 0, to: 0 }, []).depth, DEFAULT_SYNC_DEPTH);
    // an empty tree is the empty leaf hashed up
    let empty = leaf([]);
    for (let l = 0; l < 3; l++) empty = inner(empty, empty);
    assert.equal(toHex(new SyncTree({ from: 9, to: 9 }, [], 3).root), toHex(empty));
  });

  it('gives identical entry sets equal roots whatever their order, and different ones different roots', () => {
    const r = rng(1);
    const entries = Array.from({ length: 2000 }, (_, i) => entry(`k${i}`, r.position()));
    const range = { from: 123_456, to: 123_456 };
    const a = new SyncTree(range, entries);
    const b = new SyncTree(range, [...entries].reverse());
    assert.deepEqual(a.root, b.root);
    assert.deepEqual(a.level(DEFAULT_SYNC_DEPTH), b.level(DEFAULT_SYNC_DEPTH));
    assert.deepEqual(exchange(a, b), { diff: { onlyMine: [], onlyTheirs: [], differing: [] }, bucketsCompared: 0 });
    const changed = new SyncTree(range, entries.map((e, i) => (i === 777 ? { ...e, versions: versionsOf('other') } : e)));
    assert.notDeepEqual(changed.root, a.root);
  });

  for (const [name, range] of [
    ['the whole ring', { from: 0, to: 0 }],
    ['the whole ring from an offset', { from: 2 ** 47 + 3, to: 2 ** 47 + 3 }],
    ['a plain range', { from: 2 ** 40, to: 2 ** 46 + 17 }],
    ['a range wrapping past 2^48', { from: SPACE - 2 ** 45 - 5, to: 2 ** 44 + 1 }],
  ] as const) {
    it(`finds exactly the differing keys over ${name}`, () => {
      const r = rng(name.length * 7919);
      const depth = 8;
      const inside = () => (range.from + r.position() % (range.from === range.to ? SPACE : (range.to - range.from + SPACE) % SPACE)) % SPACE;
      const base = Array.from({ length: 3000 }, (_, i) => entry(`key/${i}`, inside()));
      const mine = new Map(base.map((e) => [e.keyId, e]));
      const theirs = new Map(base.map((e) => [e.keyId, e]));
      const expected: Diff = { onlyMine: [], onlyTheirs: [], differing: [] };
      let fresh = 0;
      const addMine = (position: number) => {
        const e = entry(`mine/${fresh++}`, position);
        mine.set(e.keyId, e);
        if (inRange(range, position)) expected.onlyMine.push(e.keyId);
      };
      const addTheirs = (position: number) => {
        const e = entry(`theirs/${fresh++}`, position);
        theirs.set(e.keyId, e);
        if (inRange(range, position)) expected.onlyTheirs.push(e.keyId);
      };
      const change = (position: number) => {
        const e = entry(`changed/${fresh++}`, position);
        mine.set(e.keyId, e);
        theirs.set(e.keyId, { ...e, versions: versionsOf(`${e.keyId}@v2`) });
        if (inRange(range, position)) expected.differing.push(e.keyId);
      };
      // scattered differences, among the shared keys and new ones
      for (let i = 0; i < 25; i++) {
        const victim = base[r.below(base.length)]!;
        if (!theirs.has(victim.keyId) || !mine.has(victim.keyId) || mine.get(victim.keyId) !== theirs.get(victim.keyId)) continue;
        const kind = i % 3;
        if (kind === 0) {
          theirs.delete(victim.keyId);
          expected.onlyMine.push(victim.keyId);
        } else if (kind === 1) {
          mine.delete(victim.keyId);
          expected.onlyTheirs.push(victim.keyId);
        } else {
          theirs.set(victim.keyId, { ...victim, versions: versionsOf(`${victim.keyId}@v2`) });
          expected.differing.push(victim.keyId);
        }
      }
      // all three kinds inside one bucket, next to unchanged keys there
      const [lo, width] = bucketSpan(range, depth, 37);
      for (let i = 0; i < 3; i++) {
        addMine((lo + r.below(width)) % SPACE);
        addTheirs((lo + r.below(width)) % SPACE);
        change((lo + r.below(width)) % SPACE);
      }
      // the edges: the first and last positions of the range and of the first and last buckets
      const last = (range.to - 1 + SPACE) % SPACE;
      addMine(range.from);
      addTheirs(last);
      change((range.from + 1) % SPACE);
      change((last - 1 + SPACE) % SPACE);
      // and past them: outside the range, so neither tree holds them and no diff reports them
      if (range.from !== range.to) {
        addMine(range.to);
        addTheirs((range.from - 1 + SPACE) % SPACE);
        change((range.to + 1000) % SPACE);
      }
      // when the range wraps, differences just either side of 2^48 ≡ 0
      if (range.from > range.to) {
        addMine(SPACE - 1);
        addTheirs(0);
        change(SPACE - 2);
        change(1);
      }

      const a = new SyncTree(range, mine.values(), depth);
      const b = new SyncTree(range, theirs.values(), depth);
      const { diff, bucketsCompared } = exchange(a, b);
      assert.deepEqual(sorted(diff.onlyMine), sorted(expected.onlyMine));
      assert.deepEqual(sorted(diff.onlyTheirs), sorted(expected.onlyTheirs));
      assert.deepEqual(sorted(diff.differing), sorted(expected.differing));
      const total = expected.onlyMine.length + expected.onlyTheirs.length + expected.differing.length;
      assert.ok(total >= 30, `only ${total} differences`);
      assert.ok(bucketsCompared <= total && bucketsCompared < 2 ** depth / 4, `${bucketsCompared} buckets compared`);
      // diffTrees runs the same walk; the mirror image swaps the two sides
      const local = diffTrees(a, b);
      assert.deepEqual(sorted(local.onlyMine), sorted(expected.onlyMine));
      assert.deepEqual(sorted(local.differing), sorted(expected.differing));
      const mirrored = exchange(b, a).diff;
      assert.deepEqual(sorted(mirrored.onlyMine), sorted(expected.onlyTheirs));
      assert.deepEqual(sorted(mirrored.onlyTheirs), sorted(expected.onlyMine));
      // once both sides hold the union with the newer versions, the trees agree
      const union = new Map([...mine, ...theirs]);
      assert.deepEqual(new SyncTree(range, union.values(), depth).root, new SyncTree(range, [...union.values()].reverse(), depth).root);
    });
  }

  it('leaves out entries outside the range, and checks its inputs', () => {
    const range = { from: 100, to: 200 };
    const tree = new SyncTree(range, [entry('in', 100), entry('in2', 199), entry('out', 200), entry('out2', 99)], 2);
    assert.equal(tree.size, 2);
    assert.deepEqual(tree.bucket(0).map((e) => e.keyId), ['in']);
    assert.deepEqual(tree.bucket(3).map((e) => e.keyId), ['in2']);
    assert.throws(() => new SyncTree(range, [entry('dup', 150), entry('dup', 160)]), /twice/);
    assert.throws(() => new SyncTree(range, [entry('x', SPACE)]), RangeError);
    assert.throws(() => new SyncTree(range, [entry('x', 1.5)]), RangeError);
    assert.throws(() => new SyncTree({ from: -1, to: 0 }, []), RangeError);
    assert.throws(() => new SyncTree(range, [], 17), RangeError);
    assert.throws(() => new SyncTree(range, [], -1), RangeError);
    assert.throws(() => tree.level(3), RangeError);
    assert.throws(() => tree.node(2, 4), RangeError);
    assert.throws(() => tree.bucket(4), RangeError);
    // a returned hash or bucket is a copy: changing it leaves the tree alone
    const root = tree.root;
    root.fill(0);
    assert.notDeepEqual(tree.root, root);
    tree.bucket(0).pop();
    assert.equal(tree.bucket(0).length, 1);
  });

  it('builds over 10,000 entries in well under 50 ms', () => {
    const r = rng(5);
    const owner = 'ab'.repeat(32);
    const entries = Array.from({ length: 10_000 }, (_, i) => entry(`${owner}/doc/${i}`, r.position()));
    new SyncTree({ from: 0, to: 0 }, entries.slice(0, 500)); // warm the code paths once
    const start = performance.now();
    const tree = new SyncTree({ from: 0, to: 0 }, entries);
    const took = performance.now() - start;
    assert.equal(tree.size, 10_000);
    // a loose ceiling: the machine may be busy with other tests; measured ~15–25 ms
    assert.ok(took < 150, `took ${took.toFixed(1)} ms`);
  });
});

describe('bucketOf', () => {
  it('is floor(offset × 2^depth / size), exactly, for any range', () => {
    const reference = (range: RingRange, p: number, depth: number) => {
      const size = BigInt(range.from === range.to ? SPACE : (range.to - range.from + SPACE) % SPACE);
      const offset = BigInt((p - range.from + SPACE) % SPACE);
      return offset >= size ? -1 : Number((offset << BigInt(depth)) / size);
    };
    const r = rng(9);
    const ranges: RingRange[] = [{ from: 0, to: 0 }, { from: 1, to: 0 }, { from: 5, to: 5 }, { from: 0, to: 1 }, { from: 0, to: 3 }, { from: SPACE - 1, to: 1 }];
    for (let i = 0; i < 40; i++) ranges.push({ from: r.position(), to: r.position() });
    for (const range of ranges) {
      for (const depth of [0, 1, 7, 10, 16]) {
        const edges = [range.from, range.to, (range.to - 1 + SPACE) % SPACE, (range.from + 1) % SPACE, 0, SPACE - 1];
        for (const p of [...edges, ...Array.from({ length: 50 }, () => r.position())]) {
          assert.equal(bucketOf(range, p, depth), reference(range, p, depth), `range ${range.from}..${range.to} p ${p} depth ${depth}`);
        }
      }
    }
  });

  it('does not round up where a double would', () => {
    // size 2^48-1, offset 65535·2^32 - 1: the quotient is 65535 - 1/(2^48-1), which a double rounds to 65535
    const range = { from: 1, to: 0 };
    const offset = 65535 * 2 ** 32 - 1;
    assert.equal(Math.floor((offset * 2 ** 16) / (SPACE - 1)), 65535);
    assert.equal(bucketOf(range, 1 + offset, 16), 65534);
    assert.equal(bucketOf(range, 1 + offset + 1, 16), 65535);
  });
});

describe('differingNodes and diffEntries', () => {
  it('compares hash lists position by position, a missing hash counting as different', () => {
    const h = (n: number) => sha256(Uint8Array.of(n));
    assert.deepEqual(differingNodes([h(1), h(2), h(3)], [h(1), h(9), h(3)]), [1]);
    assert.deepEqual(differingNodes([h(1), h(2)], [h(1)]), [1]);
    assert.deepEqual(differingNodes([h(1)], [h(1), h(2)]), []);
    assert.deepEqual(differingNodes([], []), []);
    assert.deepEqual(childIndices([0, 3]), [0, 1, 6, 7]);
  });

  it('sorts keys into only mine, only theirs and differing', () => {
    const d = diffEntries(
      [entry('c', 1), entry('a', 2), entry('same', 3), entry('x', 4, 'v1')],
      [entry('b', 5), entry('same', 3), entry('x', 4, 'v2'), entry('d', 6)],
    );
    assert.deepEqual(d, { onlyMine: ['a', 'c'], onlyTheirs: ['b', 'd'], differing: ['x'] });
  });

  it('updated() gives exactly the hashes of a tree built from scratch over the same entries, and leaves the old tree as it was', () => {
    const r = rng(77);
    for (const [range, depth] of [[{ from: 0, to: 0 }, 6], [{ from: SPACE - 1000, to: 5_000_000 }, 4], [{ from: 123, to: 123 }, 0]] as Array<[RingRange, number]>) {
      let entries = new Map<string, SyncEntry>();
      for (let i = 0; i < 300; i++) entries.set(`k${i}`, entry(`k${i}`, r.position()));
      let tree = new SyncTree(range, entries.values(), depth);
      for (let round = 0; round < 20; round++) {
        const rootBefore = toHex(tree.root);
        const changes: Array<{ keyId: string; position: number; entry: SyncEntry | undefined }> = [];
        const next = new Map(entries);
        for (let j = 0; j < 1 + r.below(30); j++) {
          const pick = r.below(4);
          const keyId = pick === 0 ? `new${round}-${j}` : `k${r.below(300)}`;
          const position = next.get(keyId)?.position ?? entries.get(keyId)?.position ?? r.position();
          // new versions, gone, or changed twice in one batch: the last word counts
          const e = pick === 1 ? undefined : entry(keyId, position, `r${round}-${j}`);
          if (e === undefined) next.delete(keyId);
          else next.set(keyId, e);
          changes.push({ keyId, position, entry: e });
        }
        const updated = tree.updated(changes);
        const fresh = new SyncTree(range, next.values(), depth);
        for (let level = 0; level <= depth; level++) assert.deepEqual(updated.level(level).map(toHex), fresh.level(level).map(toHex), `round ${round} level ${level}`);
        for (let b = 0; b < 2 ** depth; b++) assert.deepEqual(updated.bucket(b), fresh.bucket(b));
        assert.equal(updated.size, fresh.size);
        assert.equal(toHex(tree.root), rootBefore, 'the old tree is unchanged');
        tree = updated;
        entries = next;
      }
    }
  });
});
