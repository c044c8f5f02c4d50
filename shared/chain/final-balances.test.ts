import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../codec/hex.ts';
import { effectOf, FinalBalances, MAX_PENDING_EFFECTS } from './final-balances.ts';
import { halfBlockHash } from './half-block.ts';
import { nextBlock, testAccount } from './test-signer.ts';

const alice = testAccount(1);
const bob = testAccount(2);
const A = toHex(alice.pk);
const B = toHex(bob.pk);

describe('final balances', () => {
  const p = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 30 });
  const a = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 30 });
  const ph = toHex(halfBlockHash(p));
  const ah = toHex(halfBlockHash(a));

  it('genesis until blocks are final; proposals debit, agreements credit', () => {
    const f = new FinalBalances(new Map([[A, 100]]));
    f.learn(ph, effectOf(p));
    f.learn(ah, effectOf(a));
    assert.equal(f.balance(A), 100);
    assert.equal(f.markFinal(ph, 1), true);
    assert.equal(f.balance(A), 70);
    assert.equal(f.balance(B), 0);
    f.markFinal(ah, 1);
    assert.equal(f.balance(B), 30);
    assert.equal(f.finalCount, 2);
    assert.equal(f.markFinal(ah, 2), true, 'final twice counts once');
    assert.equal(f.balance(B), 30);
  });

  it('a final block learned later (a twin the ledger refused) is counted once it is learned', () => {
    const f = new FinalBalances(new Map([[A, 100]]));
    assert.equal(f.markFinal(ph, 3), false);
    assert.deepEqual([...f.unresolved()], [[ph, 3]]);
    assert.equal(f.learn(ph, effectOf(p)), true);
    assert.equal(f.learn(ph, effectOf(p)), false);
    assert.equal(f.balance(A), 70);
    assert.equal(f.unresolved().size, 0);
  });

  it('knows an effect while it waits or once it is counted, not while a final block is unresolved', () => {
    const f = new FinalBalances(new Map([[A, 100]]));
    assert.equal(f.knows(ph), false);
    f.learn(ph, effectOf(p));
    assert.equal(f.knows(ph), true);
    f.markFinal(ph, 1);
    assert.equal(f.knows(ph), true);
    f.markFinal(ah, 1);
    assert.equal(f.knows(ah), false, 'final, effect unknown: a certificate may still teach it');
  });

  it('keeps a bounded number of effects of blocks that are not final', () => {
    const f = new FinalBalances(new Map());
    f.learn(ph, effectOf(p));
    for (let i = 0; i < MAX_PENDING_EFFECTS; i++) f.learn(`x${i}`, { account: B, delta: 1 });
    assert.equal(f.markFinal(ph, 1), false, 'the oldest effect was dropped');
    assert.equal(f.markFinal('x1', 1), true);
  });
});
