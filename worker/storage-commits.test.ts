import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JoinedCommits, MAX_RUNNING } from './storage-commits.ts';

/** a fake database: each write is one transaction, completed or failed by the test */
function fakeDb() {
  const txs: Array<{ batches: readonly string[]; finish: (err?: Error) => void }> = [];
  const commits = new JoinedCommits<string>(
    (batches) =>
      new Promise<void>((resolve, reject) => {
        txs.push({ batches, finish: (err) => (err ? reject(err) : resolve()) });
      }),
  );
  return { txs, commits };
}

const settled = async (p: Promise<void>) => {
  let state = 'pending';
  p.then(
    () => (state = 'ok'),
    () => (state = 'failed'),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return state;
};

describe('JoinedCommits', () => {
  it(`starts up to ${MAX_RUNNING} transactions at once; later commits join one next transaction, in order`, async () => {
    const { txs, commits } = fakeDb();
    const a = commits.commit(['a']);
    const b = commits.commit(['b']);
    const c = commits.commit(['c1', 'c2']);
    const d = commits.commit(['d']);
    assert.deepEqual(
      txs.map((t) => t.batches),
      [['a'], ['b']],
    );
    txs[0]!.finish();
    assert.equal(await settled(a), 'ok');
    assert.equal(await settled(c), 'pending');
    assert.deepEqual(txs[2]!.batches, ['c1', 'c2', 'd'], 'c and d joined one transaction, made once a is done');
    const e = commits.commit(['e']);
    assert.equal(txs.length, 3, 'e waits: two are on their way');
    txs[1]!.finish();
    assert.equal(await settled(b), 'ok');
    assert.deepEqual(txs[3]!.batches, ['e']);
    txs[2]!.finish();
    assert.equal(await settled(c), 'ok');
    assert.equal(await settled(d), 'ok');
    assert.equal(await settled(e), 'pending', 'resolved only once its own transaction committed');
    txs[3]!.finish();
    assert.equal(await settled(e), 'ok');
  });

  it('a failed transaction fails every commit that joined it, and only those', async () => {
    const { txs, commits } = fakeDb();
    const a = commits.commit(['a']);
    commits.commit(['b']);
    const c = commits.commit(['c']);
    const d = commits.commit(['d']);
    txs[0]!.finish();
    await settled(a);
    txs[2]!.finish(new Error('QuotaExceededError'));
    assert.equal(await settled(c), 'failed');
    assert.equal(await settled(d), 'failed');
    txs[1]!.finish();
    const e = commits.commit(['e']);
    assert.equal(txs.at(-1)!.batches[0], 'e');
    txs.at(-1)!.finish();
    assert.equal(await settled(e), 'ok', 'the next transaction is unaffected');
  });
});
