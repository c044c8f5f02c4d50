import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VectorClock } from './types.ts';
import { compareClocks, incrementClock, mergeClocks, reconcile } from './vector-clock.ts';

const frozen = (c: Record<string, number>): VectorClock => Object.freeze({ ...c });

describe('compareClocks', () => {
  it('orders before / after / equal / concurrent, absent entries being 0', () => {
    const cases: [Record<string, number>, Record<string, number>, string][] = [
      [{}, {}, 'equal'],
      [{ a: 1 }, { a: 1 }, 'equal'],
      [{ a: 0 }, {}, 'equal'],
      [{ a: 1, b: 0 }, { a: 1 }, 'equal'],
      [{}, { a: 1 }, 'before'],
      [{ a: 1 }, { a: 2 }, 'before'],
      [{ a: 1 }, { a: 1, b: 1 }, 'before'],
      [{ a: 2, b: 1 }, { a: 2, b: 3, c: 1 }, 'before'],
      [{ a: 2 }, { a: 1 }, 'after'],
      [{ a: 1, b: 1 }, { b: 1 }, 'after'],
      [{ a: 1 }, { b: 1 }, 'concurrent'],
      [{ a: 2, b: 1 }, { a: 1, b: 2 }, 'concurrent'],
      [{ a: 1, b: 0 }, { c: 1 }, 'concurrent'],
    ];
    for (const [a, b, order] of cases) {
      assert.equal(compareClocks(a, b), order, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      const mirrored = order === 'before' ? 'after' : order === 'after' ? 'before' : order;
      assert.equal(compareClocks(b, a), mirrored, `${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
    }
  });

  it('treats writer ids that name Object.prototype members as ordinary writers', () => {
    assert.equal(compareClocks({}, { toString: 1 }), 'before');
    assert.equal(compareClocks({ constructor: 2 }, {}), 'after');
    const proto = JSON.parse('{"__proto__": 1}') as VectorClock;
    assert.equal(compareClocks({}, proto), 'before');
    assert.equal(compareClocks(proto, proto), 'equal');
  });
});

describe('mergeClocks', () => {
  it('takes the entry-wise maximum and covers every input', () => {
    const a = frozen({ a: 3, b: 1 });
    const b = frozen({ b: 4, c: 2 });
    const c = frozen({ a: 1, d: 0 });
    const m = mergeClocks(a, b, c);
    assert.deepEqual(m, { a: 3, b: 4, c: 2 });
    for (const x of [a, b, c]) assert.ok(['after', 'equal'].includes(compareClocks(m, x)));
    assert.deepEqual(mergeClocks(), {});
    assert.deepEqual(mergeClocks(a), { a: 3, b: 1 });
    assert.notEqual(mergeClocks(a), a);
  });

  it('comes out in one canonical form whatever the input order', () => {
    const x = mergeClocks({ z: 1, a: 2 }, { m: 5 });
    const y = mergeClocks({ m: 5 }, { a: 2, z: 1 });
    assert.equal(JSON.stringify(x), JSON.stringify(y));
    assert.deepEqual(Object.keys(x), ['a', 'm', 'z']);
  });

  it('keeps a "__proto__" writer as an own entry', () => {
    const m = mergeClocks(JSON.parse('{"__proto__": 2}') as VectorClock, { a: 1 });
    assert.ok(Object.hasOwn(m, '__proto__'));
    assert.equal(m['__proto__' as keyof typeof m], 2);
    assert.equal(Object.getPrototypeOf(m), Object.prototype);
  });
});

describe('incrementClock', () => {
  it('returns a new clock one higher for the writer and leaves the input alone', () => {
    const before = frozen({ a: 1, b: 2 });
    const after = incrementClock(before, 'b');
    assert.deepEqual(after, { a: 1, b: 3 });
    assert.deepEqual(before, { a: 1, b: 2 });
    assert.equal(compareClocks(before, after), 'before');
    assert.deepEqual(incrementClock(before, 'c'), { a: 1, b: 2, c: 1 });
    assert.deepEqual(incrementClock({}, 'toString'), { toString: 1 });
    assert.throws(() => incrementClock({}, ''), TypeError);
  });
});

describe('reconcile', () => {
  type V = { clock: VectorClock; digest: string };
  const v = (digest: string, clock: Record<string, number>): V => ({ clock: frozen(clock), digest });
  const run = (versions: V[]) => reconcile(versions, (x) => x.clock, (x) => x.digest).map((x) => x.digest);

  it('drops versions another one supersedes', () => {
    assert.deepEqual(run([v('old', { a: 1 }), v('new', { a: 2 })]), ['new']);
    assert.deepEqual(run([v('new', { a: 2, b: 1 }), v('old', { a: 1 }), v('older', {})]), ['new']);
  });

  it('keeps concurrent siblings, and drops what any sibling supersedes', () => {
    const siblings = [v('x', { a: 2, b: 1 }), v('y', { a: 1, b: 2 }), v('base', { a: 1, b: 1 })];
    assert.deepEqual(run(siblings), ['x', 'y']);
    // a write that merged both siblings replaces them
    assert.deepEqual(run([...siblings, v('merged', { a: 2, b: 2, c: 1 })]), ['merged']);
  });

  it('dedupes equal versions and keeps equal clocks with different digests', () => {
    assert.deepEqual(run([v('same', { a: 1 }), v('same', { a: 1 }), v('same', { a: 1 })]), ['same']);
    assert.deepEqual(run([v('p', { a: 1 }), v('q', { a: 1 })]), ['p', 'q']);
    assert.deepEqual(run([v('p', { a: 1 }), v('q', { a: 1 }), v('r', { a: 2 })]), ['r']);
    assert.deepEqual(run([]), []);
  });

  it('does not depend on arrival order beyond the order it returns siblings in, and mutates nothing', () => {
    const versions = [v('a', { w1: 3 }), v('b', { w2: 1 }), v('c', { w1: 1 }), v('d', { w1: 3, w2: 1 }), v('e', { w3: 1 }), v('b', { w2: 1 })];
    const copy = JSON.stringify(versions);
    const expected = ['d', 'e'];
    for (let r = 0; r < versions.length; r++) {
      const rotated = [...versions.slice(r), ...versions.slice(0, r)];
      assert.deepEqual(run(rotated).sort(), expected);
    }
    assert.equal(JSON.stringify(versions), copy);
  });
});
