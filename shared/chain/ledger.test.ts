import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { halfBlockHash, type HalfBlock } from './half-block.ts';
import { checkProof, Ledger, MAX_FUTURE_SKEW_MS } from './ledger.ts';
import { nextBlock, testAccount } from './test-signer.ts';

const alice = testAccount(1);
const bob = testAccount(2);
const carol = testAccount(3);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const now = 10_000;
const ok = { signatureValid: true, now };
const funded = () => new Ledger(new Map([[hex(alice.pk), 100]]));

function expectRule(ledger: Ledger, block: HalfBlock, rule: string, check = ok): void {
  const r = ledger.apply(block, check);
  assert.equal(r.ok, false, `expected rule ${rule}`);
  if (!r.ok) assert.equal(r.rule, rule);
}

describe('ledger: transfers', () => {
  it('accepts a proposal and its agreement, moving the balance', () => {
    const l = funded();
    const p = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 30 });
    assert.equal(l.apply(p, ok).ok, true);
    assert.equal(l.balance(alice.pk), 70);
    const a = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 30 });
    assert.equal(l.apply(a, ok).ok, true);
    assert.equal(l.balance(bob.pk), 30);
    assert.equal(l.agreementFor(alice.pk, 1), a);
    assert.deepEqual(l.head(bob.pk), { seq: 1, hash: halfBlockHash(a) });
  });
});

describe('ledger: each rule rejects its broken case', () => {
  it('signature', () => expectRule(funded(), nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1 }), 'signature', { signatureValid: false, now }));

  it('sequence: a block ahead of the chain is held back as missing history, then accepted in order', () => {
    const l = funded();
    const first = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1 });
    const second = nextBlock(alice, first, { linkPk: bob.pk, amount: 1 });
    expectRule(l, second, 'missing'); // seq 2 before seq 1
    assert.equal(l.apply(first, ok).ok, true);
    assert.equal(l.apply(second, ok).ok, true);
  });

  it('previous hash', () => {
    const l = funded();
    const first = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1 });
    l.apply(first, ok);
    const second = nextBlock(alice, first, { linkPk: bob.pk, amount: 1 });
    expectRule(l, alice.sign({ ...second, prev: new Uint8Array(32).fill(7) }), 'previous-hash');
  });

  it('time: backwards or too far in the future', () => {
    const l = funded();
    const first = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1, time: 5_000 });
    l.apply(first, ok);
    expectRule(l, nextBlock(alice, first, { linkPk: bob.pk, amount: 1, time: 4_999 }), 'time');
    expectRule(l, nextBlock(alice, first, { linkPk: bob.pk, amount: 1, time: now + MAX_FUTURE_SKEW_MS + 1 }), 'time');
  });

  it('link: no transfers to oneself, agreements need a known proposal to this account', () => {
    const l = funded();
    expectRule(l, nextBlock(alice, undefined, { linkPk: alice.pk, amount: 1 }), 'link');
    expectRule(l, nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 1 }), 'missing'); // proposal not seen yet
    l.apply(nextBlock(alice, undefined, { linkPk: bob.pk, amount: 5 }), ok);
    expectRule(l, nextBlock(carol, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 5 }), 'link'); // proposal was to bob
  });

  it('amount: positive whole number, equal to the proposal in an agreement', () => {
    const l = funded();
    expectRule(l, nextBlock(alice, undefined, { linkPk: bob.pk, amount: 0 }), 'amount');
    l.apply(nextBlock(alice, undefined, { linkPk: bob.pk, amount: 5 }), ok);
    expectRule(l, nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 6 }), 'amount');
  });

  it('memo length', () => expectRule(funded(), nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1, memo: 'x'.repeat(141) }), 'memo'));

  it('balance at that point of the chain', () => {
    const l = funded();
    const first = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 80 });
    assert.equal(l.apply(first, ok).ok, true);
    expectRule(l, nextBlock(alice, first, { linkPk: carol.pk, amount: 21 }), 'balance');
    assert.equal(l.apply(nextBlock(alice, first, { linkPk: carol.pk, amount: 20 }), ok).ok, true);
    expectRule(l, nextBlock(bob, undefined, { linkPk: carol.pk, amount: 1 }), 'balance'); // bob has not agreed yet
  });

  it('duplicate delivery is not fraud', () => {
    const l = funded();
    const p = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1 });
    l.apply(p, ok);
    expectRule(l, p, 'duplicate');
  });
});

describe('ledger: fraud', () => {
  it('two blocks at one (pk, seq) are a proof, and the account is refused from then on', () => {
    const l = funded();
    const toBob = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 100 });
    const toCarol = nextBlock(alice, undefined, { linkPk: carol.pk, amount: 100 });
    assert.equal(l.apply(toBob, ok).ok, true);
    const r = l.apply(toCarol, ok);
    assert.equal(r.ok, false);
    if (r.ok || r.rule !== 'fraud') return assert.fail('expected a fraud proof');
    assert.equal(r.proof.kind, 'double-block');
    assert.equal(checkProof(r.proof), true);
    assert.equal(l.isBlocked(alice.pk), true);
    expectRule(l, nextBlock(alice, toBob, { linkPk: bob.pk, amount: 1 }), 'blocked');
  });

  it('two agreements to one proposal are a proof', () => {
    const l = funded();
    l.apply(nextBlock(alice, undefined, { linkPk: bob.pk, amount: 10 }), ok);
    const first = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 10 });
    assert.equal(l.apply(first, ok).ok, true);
    const again = nextBlock(bob, first, { linkPk: alice.pk, linkSeq: 1, amount: 10 });
    const r = l.apply(again, ok);
    assert.equal(!r.ok && r.rule, 'fraud');
    assert.equal(l.balance(bob.pk), 10, 'the second agreement credits nothing');
    assert.equal(l.isBlocked(bob.pk), true);
  });

  it('a proof from the network blocks the offender on a Star that saw only one block', () => {
    const a = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1 });
    const b = nextBlock(alice, undefined, { linkPk: carol.pk, amount: 1 });
    const l = funded();
    l.apply(a, ok);
    assert.equal(l.acceptProof({ kind: 'double-block', a, b }), true);
    assert.equal(l.isBlocked(alice.pk), true);
  });

  it('rejects bogus proofs', () => {
    const a = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1 });
    const second = nextBlock(alice, a, { linkPk: bob.pk, amount: 1 });
    const bobs = nextBlock(bob, undefined, { linkPk: alice.pk, amount: 1 });
    assert.equal(checkProof({ kind: 'double-block', a, b: a }), false, 'same block twice');
    assert.equal(checkProof({ kind: 'double-block', a, b: second }), false, 'different seq');
    assert.equal(checkProof({ kind: 'double-block', a, b: bobs }), false, 'different accounts');
    assert.equal(checkProof({ kind: 'double-agreement', a, b: second }), false, 'proposals are not agreements');
    assert.equal(funded().acceptProof({ kind: 'double-block', a, b: second }), false);
  });
});
