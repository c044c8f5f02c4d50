import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { ChainEngine, type IncomingBlock } from './chain-engine.ts';
import { encodeHalfBlock, type HalfBlock } from './half-block.ts';
import { nextBlock, testAccount, type TestAccount } from './test-signer.ts';

const alice = testAccount(1);
const bob = testAccount(2);
const carol = testAccount(3);
const now = 10_000;
const genesis = () => new Map([[toHex(alice.pk), 100]]);

const incoming = (block: HalfBlock, signatureValid = true): IncomingBlock => {
  const bytes = encodeHalfBlock(block);
  return { bytes, block, hash: sha256(bytes), signatureValid };
};

/** signs the engine's own unsigned block with the test account */
const sign = (account: TestAccount, engine: ChainEngine, unsigned: ReturnType<ChainEngine['propose']>) => {
  const block = account.sign(unsigned);
  return { block, report: engine.ingest([incoming(block)], now) };
};

describe('chain engine', () => {
  it('a proposal to this account asks for its agreement once, and the agreement makes it agreed', () => {
    const engine = new ChainEngine(genesis(), bob.pk);
    const p = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 30 });
    const r = engine.ingest([incoming(p)], now);
    assert.equal(r.verdict, 'accept');
    assert.equal(r.toAgree.length, 1);
    assert.deepEqual(r.transfers.map((t) => [t.direction, t.status, t.amount]), [['in', 'pending', 30]]);
    assert.equal(engine.ingest([incoming(p)], now).toAgree.length, 0, 'a duplicate asks nothing');
    const { report } = sign(bob, engine, engine.agree(r.toAgree[0]!, now));
    assert.deepEqual(report.transfers.map((t) => t.status), ['agreed']);
    assert.equal(engine.ledger.balance(bob.pk), 30);
    assert.deepEqual(engine.unagreed(), []);
  });

  it('blocks that arrive before their history wait as orphans and are applied when it comes', () => {
    const engine = new ChainEngine(genesis(), carol.pk);
    const p1 = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 10 });
    const p2 = nextBlock(alice, p1, { linkPk: bob.pk, amount: 10 });
    const a1 = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 10 });
    const early = engine.ingest([incoming(p2), incoming(a1)], now);
    assert.equal(early.verdict, 'ignore', 'missing history is no offence');
    assert.equal(early.missing, true);
    const late = engine.ingest([incoming(p1)], now);
    assert.deepEqual(late.stored.map((e) => e.seq), [1, 2, 1], 'p1, then the orphans p2 and a1');
    assert.equal(engine.ledger.balance(bob.pk), 10);
  });

  it('verdicts: reject for any invalid block, accept when something new is stored, ignore otherwise', () => {
    const engine = new ChainEngine(genesis(), carol.pk);
    const p = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 10 });
    assert.equal(engine.ingest([incoming(p, false)], now).verdict, 'reject');
    const overspend = nextBlock(bob, undefined, { linkPk: carol.pk, amount: 1 });
    assert.equal(engine.ingest([incoming(p), incoming(overspend)], now).verdict, 'reject');
    assert.equal(engine.ingest([incoming(p)], now).verdict, 'ignore', 'duplicate');
  });

  it('answers a sync with what the asker lacks, in an order its ledger accepts', () => {
    const source = new ChainEngine(genesis(), carol.pk);
    const p1 = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 10 });
    const a1 = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 10 });
    const p2 = nextBlock(alice, p1, { linkPk: carol.pk, amount: 5 });
    source.ingest([p1, a1, p2].map((b) => incoming(b)), now);
    const asker = new ChainEngine(genesis(), bob.pk);
    asker.ingest([incoming(p1)], now);
    const answer = source.answerSync(new Map(asker.heads()), 10);
    assert.equal(answer.blocks.length, 2);
    assert.equal(answer.more, false);
    const paged = source.answerSync(new Map(), 2);
    assert.equal(paged.blocks.length, 2);
    assert.equal(paged.more, true);
  });

  it('pending proposals to a receiver are what a presence record triggers delivery of', () => {
    const engine = new ChainEngine(genesis(), alice.pk);
    const { block } = sign(alice, engine, engine.propose(bob.pk, 25, 'rent', now));
    assert.deepEqual(engine.pendingTo(bob.pk), [encodeHalfBlock(block)]);
    engine.ingest([incoming(nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 25 }))], now);
    assert.deepEqual(engine.pendingTo(bob.pk), []);
  });

  it('propose checks funds, amount, memo and receiver before anything is signed', () => {
    const engine = new ChainEngine(genesis(), alice.pk);
    assert.throws(() => engine.propose(bob.pk, 101, '', now), { code: 'INSUFFICIENT_FUNDS' });
    assert.throws(() => engine.propose(bob.pk, 0, '', now), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => engine.propose(bob.pk, 1, 'x'.repeat(141), now), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => engine.propose(alice.pk, 1, '', now), { code: 'INVALID_ADDRESS' });
  });

  it('a fork is reported as a proof with both blocks, and the forker’s transfers become rejected', () => {
    const engine = new ChainEngine(genesis(), bob.pk);
    const a = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 50, memo: 'a' });
    const b = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 50, memo: 'b' });
    engine.ingest([incoming(a)], now);
    const r = engine.ingest([incoming(b)], now);
    assert.equal(r.verdict, 'ignore', 'the forwarder of a conflicting block may be honest');
    assert.equal(r.proofs.length, 1);
    assert.deepEqual([r.proofs[0]!.a, r.proofs[0]!.b], [encodeHalfBlock(a), encodeHalfBlock(b)]);
    assert.ok(r.transfers.every((t) => t.status === 'rejected'));
    assert.equal(engine.ledger.isBlocked(alice.pk), true);
  });

  describe('another cluster\'s proposal (its sender\'s chain is not followed here)', () => {
    // alice's first block pays carol; her second pays bob. Bob's Star never saw her chain.
    const first = nextBlock(alice, undefined, { linkPk: carol.pk, amount: 10 });
    const second = nextBlock(alice, first, { linkPk: bob.pk, amount: 30 });
    const finalSet = new Set<string>();
    const engineFor = (self: Uint8Array) => {
      const engine = new ChainEngine(genesis(), self);
      engine.finality = (id) => (finalSet.has(id) ? 'final' : 'open');
      return engine;
    };
    const id = (b: HalfBlock) => toHex(sha256(encodeHalfBlock(b)));

    it('waits while the proposal is not final, then countersigns once a Blackhole block makes it final', () => {
      finalSet.clear();
      const engine = engineFor(bob.pk);
      const r = engine.ingest([incoming(second)], now);
      assert.equal(r.missing, true, 'history missing: held');
      assert.equal(r.toAgree.length, 0);
      assert.equal(engine.noteFinal([], now).toAgree.length, 0);
      finalSet.add(id(second));
      const adopted = engine.noteFinal([id(second)], now);
      assert.equal(adopted.toAgree.length, 1);
      assert.deepEqual(adopted.transfers.map((t) => [t.direction, t.amount, t.status]), [['in', 30, 'pending']]);
      const { report } = sign(bob, engine, engine.agree(adopted.toAgree[0]!, now));
      assert.deepEqual(report.transfers.map((t) => t.status), ['agreed']);
      assert.equal(engine.ledger.balance(bob.pk), 30);
      assert.equal(engine.ledger.balance(alice.pk), 100, "the sender's balance here is untouched: its chain is not followed");
    });

    it("a cluster-mate takes the final proposal and then the receiver's agreement", () => {
      finalSet.clear();
      finalSet.add(id(second));
      const mate = engineFor(carol.pk);
      const agreement = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: second.seq, amount: 30 });
      assert.equal(mate.ingest([incoming(agreement)], now).missing, true, 'agreement before its proposal: held');
      const r = mate.ingest([incoming(second)], now);
      assert.equal(r.verdict, 'accept');
      assert.deepEqual(r.stored.map((e) => e.seq), [1], "the held agreement is stored once the proposal is adopted");
      assert.equal(mate.ledger.agreementFor(alice.pk, second.seq)?.seq, 1);
    });

    it('never adopts a proposal that is not final, an agreement, or a twin of an adopted proposal', () => {
      finalSet.clear();
      const engine = engineFor(bob.pk);
      assert.equal(engine.ingest([incoming(second)], now).missing, true);
      const agreement = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 10 });
      finalSet.add(id(agreement));
      assert.equal(engine.ingest([incoming(agreement)], now).missing, true, 'an agreement is never adopted');
      finalSet.add(id(second));
      engine.noteFinal([id(second)], now);
      const twin = nextBlock(alice, first, { linkPk: carol.pk, amount: 31 });
      finalSet.add(id(twin));
      assert.equal(engine.ledger.adoptFinal(twin, sha256(encodeHalfBlock(twin))), undefined, 'the slot is taken');
    });

    it("the sender's history arriving later (chain sync) is applied normally, without listing the proposal twice", () => {
      finalSet.clear();
      finalSet.add(id(second));
      const engine = engineFor(bob.pk);
      engine.ingest([incoming(second)], now);
      assert.equal(engine.ledger.proposalsTo(bob.pk).length, 1);
      const r = engine.ingest([incoming(first), incoming(second)], now);
      assert.equal(r.verdict, 'accept');
      assert.equal(engine.ledger.head(alice.pk).seq, 2, 'her chain now continues past the adopted block');
      assert.equal(engine.ledger.proposalsTo(bob.pk).length, 1);
      assert.equal(engine.ledger.balance(alice.pk), 60);
    });
  });
});

