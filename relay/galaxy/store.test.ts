/** The Galaxy's chain on disk: what is appended is there after a reopen, and a height is written once. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GalaxyStore } from './store.ts';

describe('Galaxy store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'galaxy-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps appended blocks across a reopen, in height order', async () => {
    const path = join(dir, 'a.sqlite');
    const store = await GalaxyStore.open(path);
    assert.deepEqual(store.all(), []);
    assert.equal(store.append(2, new Uint8Array([2, 2])), 'stored');
    assert.equal(store.append(1, new Uint8Array([1])), 'stored');
    store.close();
    const again = await GalaxyStore.open(path);
    assert.deepEqual(
      again.all().map((r) => [r.height, [...r.bytes]]),
      [
        [1, [1]],
        [2, [2, 2]],
      ],
    );
    assert.deepEqual([...(again.get(2) ?? [])], [2, 2]);
    assert.equal(again.get(3), undefined);
    assert.deepEqual(
      again.from(2, 10).map((r) => r.height),
      [2],
    );
    again.close();
  });

  it('takes the same block twice as a no-op and refuses a different block at a stored height', async () => {
    const store = await GalaxyStore.open(join(dir, 'b.sqlite'));
    store.append(1, new Uint8Array([7]));
    assert.equal(store.append(1, new Uint8Array([7])), 'already');
    assert.throws(() => store.append(1, new Uint8Array([8])), /height 1 is already stored with a different block/);
    assert.deepEqual([...(store.get(1) ?? [])], [7]);
    store.close();
  });

  it('is held by one Galaxy at a time, with a message that says what to do', async () => {
    const path = join(dir, 'c.sqlite');
    const first = await GalaxyStore.open(path);
    await assert.rejects(GalaxyStore.open(path), /another Galaxy is using it/);
    first.close();
    (await GalaxyStore.open(path)).close();
  });
});
