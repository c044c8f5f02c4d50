import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoreMessage } from '../shared/storage/wire.ts';
import { Outbox } from './storage-outbox.ts';

const ack = (id: number): StoreMessage => ({ t: 'put-ack', id, ok: true, reason: '' });
const nextTask = () => new Promise((r) => setTimeout(r, 0));

describe('Outbox', () => {
  it('hands over what one task added in one flush, per member in order', async () => {
    const flushes: Array<Record<string, number[]>> = [];
    const box = new Outbox((sends) => flushes.push(Object.fromEntries([...sends].map(([m, msgs]) => [m, msgs.map((x) => x.id)]))));
    box.add(new Map([['a', [ack(1), ack(2)]], ['b', [ack(3)]]]));
    box.add(new Map([['a', [ack(4)]]]));
    assert.equal(flushes.length, 0, 'not before the task ends');
    await nextTask();
    assert.deepEqual(flushes, [{ a: [1, 2, 4], b: [3] }]);
    box.add(new Map([['b', [ack(5)]]]));
    await nextTask();
    assert.deepEqual(flushes[1], { b: [5] });
    box.add(new Map());
    await nextTask();
    assert.equal(flushes.length, 2, 'nothing added, nothing flushed');
  });

  it('drops what waits when closed', async () => {
    let flushed = 0;
    const box = new Outbox(() => flushed++);
    box.add(new Map([['a', [ack(1)]]]));
    box.close();
    await nextTask();
    assert.equal(flushed, 0);
  });
});
