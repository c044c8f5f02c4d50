import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InboxMessage, StarEvents } from '../../shared/api.ts';
import { Emitter } from './emitter.ts';
import { HeldMessages, MAX_HELD_MESSAGES } from './held-messages.ts';

const msg = (id: string): InboxMessage => ({ id, from: 'sw1x', data: id, sentAt: 1, receivedAt: 2 });
const tick = () => new Promise<void>((r) => queueMicrotask(r));

describe('HeldMessages', () => {
  it('holds messages until the first handler, then hands them over in order, before newer ones', async () => {
    const events = new Emitter<StarEvents>();
    const held = new HeldMessages(events);
    held.deliver(msg('a'));
    held.deliver(msg('b'));
    const got: string[] = [];
    events.on('message', (m) => got.push(m.id));
    held.release();
    held.deliver(msg('c'));
    assert.deepEqual(got, []);
    await tick();
    assert.deepEqual(got, ['a', 'b', 'c']);
    held.deliver(msg('d'));
    assert.deepEqual(got, ['a', 'b', 'c', 'd']);
  });

  it('keeps them for the next handler when the first is removed at once', async () => {
    const events = new Emitter<StarEvents>();
    const held = new HeldMessages(events);
    held.deliver(msg('a'));
    const off = events.on('message', () => assert.fail('removed handler called'));
    held.release();
    off();
    await tick();
    const got: string[] = [];
    events.on('message', (m) => got.push(m.id));
    held.release();
    await tick();
    assert.deepEqual(got, ['a']);
  });

  it('holds at most MAX_HELD_MESSAGES, dropping the oldest', async () => {
    const events = new Emitter<StarEvents>();
    const held = new HeldMessages(events);
    for (let i = 0; i < MAX_HELD_MESSAGES + 3; i++) held.deliver(msg(String(i)));
    const got: string[] = [];
    events.on('message', (m) => got.push(m.id));
    held.release();
    await tick();
    assert.equal(got.length, MAX_HELD_MESSAGES);
    assert.equal(got[0], '3');
  });
});
