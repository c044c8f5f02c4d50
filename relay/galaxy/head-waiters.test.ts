import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeadWaiters } from './head-waiters.ts';

describe('HeadWaiters (long polls for the next block)', () => {
  it('answers a request once the head reaches its height, not before', async () => {
    const waiters = new HeadWaiters(8);
    let settled: boolean | undefined;
    const reached = waiters.wait(5, 60_000).then((r) => (settled = r));
    waiters.notify(4);
    await Promise.resolve();
    assert.equal(settled, undefined, 'height 4 does not answer a wait for 5');
    assert.equal(waiters.size, 1);
    waiters.notify(6);
    assert.equal(await reached, true);
    assert.equal(waiters.size, 0);
  });

  it('answers false when the wait ends or the asker hangs up', async () => {
    const waiters = new HeadWaiters(8);
    assert.equal(await waiters.wait(5, 1), false);
    const gone = new AbortController();
    const hungUp = waiters.wait(5, 60_000, gone.signal);
    gone.abort();
    assert.equal(await hungUp, false);
    assert.equal(waiters.size, 0);
  });

  it('answers at once past its bound, so a crowd cannot pile up', async () => {
    const waiters = new HeadWaiters(1);
    const first = waiters.wait(2, 60_000);
    assert.equal(await waiters.wait(2, 60_000), false);
    waiters.notify(2);
    assert.equal(await first, true);
  });
});
