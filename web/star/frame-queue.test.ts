import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameQueue } from './frame-queue.ts';

const frame = (tag: number, size = 1): Uint8Array => new Uint8Array(size).fill(tag);

describe('FrameQueue', () => {
  it('keeps frames in order and drops the oldest beyond the frame bound', () => {
    const q = new FrameQueue(3, 1_000);
    assert.equal(q.push(frame(1)) + q.push(frame(2)) + q.push(frame(3)), 0);
    assert.equal(q.push(frame(4)), 1);
    assert.deepEqual(q.take(1_000).map((f) => f[0]), [2, 3, 4]);
    assert.equal(q.size, 0);
    assert.equal(q.bytes, 0);
  });

  it('drops the oldest beyond the byte bound, but always keeps the newest frame', () => {
    const q = new FrameQueue(100, 10);
    q.push(frame(1, 4));
    q.push(frame(2, 4));
    assert.equal(q.push(frame(3, 4)), 1);
    assert.equal(q.bytes, 8);
    assert.equal(q.push(frame(4, 50)), 2);
    assert.equal(q.size, 1);
    assert.deepEqual(q.take(1).map((f) => f[0]), [4]);
  });

  it('takes frames while they fit the byte budget, at least one', () => {
    const q = new FrameQueue(100, 1_000);
    for (const n of [1, 2, 3, 4]) q.push(frame(n, 10));
    assert.deepEqual(q.take(25).map((f) => f[0]), [1, 2]);
    assert.deepEqual(q.take(5).map((f) => f[0]), [3]);
    assert.equal(q.bytes, 10);
    assert.equal(q.clear(), 1);
    assert.deepEqual(q.take(100), []);
  });
});
