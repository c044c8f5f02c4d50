import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { FrameBatch, MAX_BACKLOG_BYTES, MAX_BATCH_FRAMES, type PeerFrames } from './frame-batch.ts';

const frame = (tag: number, size = 1): Uint8Array => new Uint8Array(size).fill(tag);
const tags = (batch: PeerFrames) => batch.map((p) => [p.peerId, p.frames.map((f) => f[0])]);

describe('FrameBatch', () => {
  it('hands frames arriving together to the worker in one call, grouped by peer in arrival order', async () => {
    const calls: PeerFrames[] = [];
    const batch = new FrameBatch(async (b) => void calls.push(b));
    batch.push('a', frame(1));
    batch.push('b', frame(2));
    batch.push('a', frame(3));
    assert.equal(calls.length, 0);
    await sleep(20);
    assert.deepEqual(calls.map(tags), [
      [
        ['a', [1, 3]],
        ['b', [2]],
      ],
    ]);
  });

  it('sends a full batch at once, and keeps one call in flight: later frames go in the next call', async () => {
    const calls: PeerFrames[] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const batch = new FrameBatch((b) => {
      calls.push(b);
      return calls.length === 1 ? first : Promise.resolve();
    });
    for (let i = 0; i < MAX_BATCH_FRAMES; i++) batch.push('a', frame(i % 256));
    assert.equal(calls.length, 1, 'a full batch goes without waiting for the window');
    batch.push('a', frame(7));
    batch.push('b', frame(8));
    await sleep(20);
    assert.equal(calls.length, 1, 'nothing more while the first call runs');
    assert.equal(batch.backlog, 2);
    release();
    await sleep(5);
    assert.deepEqual(tags(calls[1]!), [
      ['a', [7]],
      ['b', [8]],
    ]);
  });

  it('drops frames beyond the backlog bound while the worker is behind, and survives a failing call', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((_, reject) => (release = () => reject(new Error('worker failed'))));
    const calls: PeerFrames[] = [];
    const batch = new FrameBatch((b) => (calls.push(b), calls.length === 1 ? stuck : Promise.resolve()));
    const big = 1024 * 1024;
    assert.equal(batch.push('a', frame(0, big)), true);
    await sleep(10);
    let accepted = 0;
    for (let i = 0; i < MAX_BACKLOG_BYTES / big + 5; i++) if (batch.push('a', frame(1, big))) accepted++;
    assert.equal(accepted, MAX_BACKLOG_BYTES / big);
    const warn = console.warn;
    console.warn = () => {};
    release();
    await sleep(20);
    console.warn = warn;
    assert.ok(calls.length > 1, 'the backlog went on after the failed call');
  });

  it('stops: nothing more is delivered', async () => {
    const calls: PeerFrames[] = [];
    const batch = new FrameBatch(async (b) => void calls.push(b));
    batch.push('a', frame(1));
    batch.stop();
    assert.equal(batch.push('a', frame(2)), false);
    await sleep(10);
    assert.equal(calls.length, 0);
  });
});
