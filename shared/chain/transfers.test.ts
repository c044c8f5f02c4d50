import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../codec/hex.ts';
import { halfBlockHash, type HalfBlock } from './half-block.ts';
import { checkProof, Ledger } from './ledger.ts';
import { nextBlock, testAccount } from './test-signer.ts';
import { balanceOf, historyOf, statusOf, type FinalityLookup, type FinalityState } from './transfers.ts';

const alice = testAccount(1);
const bob = testAccount(2);
const carol = testAccount(3);
const now = 10_000;
const id = (b: HalfBlock) => toHex(halfBlockHash(b));

/** alice (100 at genesis) proposes 30 to bob, bob agrees */
function setup() {
  const ledger = new Ledger(new Map([[toHex(alice.pk), 100]]));
  const p = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 30 });
  const a = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 30 });
  for (const b of [p, a]) assert.equal(ledger.apply(b, { signatureValid: true, now }).ok, true);
  return { ledger, p, a, proposal: ledger.byId(id(p))! };
}

const lookup = (states: Record<string, FinalityState>): FinalityLookup => (h) => states[h] ?? 'open';

describe('transfer status with finality', () => {
  it('without finality: agreed, as before', () => {
    const { ledger, proposal } = setup();
    assert.equal(statusOf(ledger, proposal), 'agreed');
    assert.equal(statusOf(ledger, proposal, lookup({})), 'agreed');
  });

  it('checkpointed only when both halves are at least checkpointed', () => {
    const { ledger, p, a, proposal } = setup();
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'checkpointed' })), 'agreed');
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'checkpointed', [id(a)]: 'checkpointed' })), 'checkpointed');
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'final', [id(a)]: 'checkpointed' })), 'checkpointed');
  });

  it('final only when both halves are final', () => {
    const { ledger, p, a, proposal } = setup();
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'final' })), 'agreed');
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'final', [id(a)]: 'final' })), 'final');
  });

  it('a proposal without an agreement stays pending even when final', () => {
    const ledger = new Ledger(new Map([[toHex(alice.pk), 100]]));
    const p = nextBlock(alice, undefined, { linkPk: carol.pk, amount: 5 });
    ledger.apply(p, { signatureValid: true, now });
    assert.equal(statusOf(ledger, ledger.byId(id(p))!, lookup({ [id(p)]: 'final' })), 'pending');
  });

  it('rejected when the Galaxy rejected the proposal (or the agreement)', () => {
    const { ledger, p, a, proposal } = setup();
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'rejected' })), 'rejected');
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'final', [id(a)]: 'rejected' })), 'rejected');
  });

  it('final wins over a fraud proof that came later; checkpointed does not', () => {
    const { ledger, p, a, proposal } = setup();
    const twin = nextBlock(alice, undefined, { linkPk: carol.pk, amount: 30 });
    const proof = { kind: 'double-block' as const, a: p, b: twin };
    assert.equal(checkProof(proof), true);
    ledger.acceptProof(proof);
    assert.equal(statusOf(ledger, proposal), 'rejected');
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'checkpointed', [id(a)]: 'checkpointed' })), 'rejected');
    assert.equal(statusOf(ledger, proposal, lookup({ [id(p)]: 'final', [id(a)]: 'final' })), 'final');
  });

  it('history carries the finality status', () => {
    const { ledger, p, a } = setup();
    const [t] = historyOf(ledger, bob.pk, lookup({ [id(p)]: 'final', [id(a)]: 'final' }));
    assert.equal(t?.status, 'final');
  });

  it('history with a limit lists the newest transfers only, newest first', () => {
    // alice's own chain runs forward in time; what bob and carol send her interleaves with it
    const ledger = new Ledger(new Map([alice, bob, carol].map((a) => [toHex(a.pk), 100])));
    const chains: Array<[typeof alice, number[]]> = [[alice, [2_000, 6_000]], [bob, [1_000, 5_000]], [carol, [3_000, 4_000]]];
    for (const [account, times] of chains) {
      let prev: HalfBlock | undefined;
      for (const time of times) {
        prev = nextBlock(account, prev, { linkPk: account === alice ? bob.pk : alice.pk, amount: 1, time });
        assert.equal(ledger.apply(prev, { signatureValid: true, now }).ok, true);
      }
    }
    assert.deepEqual(historyOf(ledger, alice.pk).map((t) => t.time), [6_000, 5_000, 4_000, 3_000, 2_000, 1_000]);
    assert.deepEqual(historyOf(ledger, alice.pk, undefined, 3).map((t) => t.time), [6_000, 5_000, 4_000]);
    assert.equal(historyOf(ledger, alice.pk, undefined, 10).length, 6);
  });
});

describe('final balance', () => {
  it('is 0 without finality, as before the Blackhole chain', () => {
    const { ledger } = setup();
    assert.deepEqual(balanceOf(ledger, alice.pk), { available: 70, pending: 0, final: 0 });
  });

  it('genesis plus final blocks: proposals debit, agreements credit', () => {
    const { ledger, p, a } = setup();
    assert.equal(balanceOf(ledger, alice.pk, lookup({})).final, 100);
    assert.equal(balanceOf(ledger, alice.pk, lookup({ [id(p)]: 'checkpointed' })).final, 100);
    const states = lookup({ [id(p)]: 'final', [id(a)]: 'final' });
    assert.equal(balanceOf(ledger, alice.pk, states).final, 70);
    assert.equal(balanceOf(ledger, bob.pk, states).final, 30);
    assert.equal(balanceOf(ledger, bob.pk, lookup({ [id(p)]: 'final' })).final, 0, 'the credit counts once the agreement is final');
  });
});
