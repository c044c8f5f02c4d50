import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { halfBlockHash, signingBytes } from '../chain/half-block.ts';
import { nextBlock, testAccount } from '../chain/test-signer.ts';
import { toHex } from '../codec/hex.ts';
import { blackholeHash, finalityProofVerifyItems, verifyFinalityProof, type BlackholeBlock } from './blackhole.ts';
import { checkpointHash, checkpointSigningBytes, MAX_PROPOSAL_BLOCKS, type CandidateBlock, type CheckpointCert } from './checkpoint.ts';
import { facilitatorKeys, GalaxyNet, hexes } from './finality-test-kit.ts';
import { certGossipDelay, PAIR_WAIT_MS, StarFinality, type FinalityOutputs } from './star-finality.ts';
import { candidate, nobleVerify, type TestKey } from './test-fixtures.ts';
import { envelopeSigningBytes, type Envelope } from './wire.ts';

const alice = testAccount(1);
const bob = testAccount(2);
const carol = testAccount(3);
const balances = new Map([
  [toHex(alice.pk), 1000],
  [toHex(bob.pk), 50],
]);

/** Four facilitator Stars and one that is never seated, following a one-Galaxy network. */
class Harness {
  readonly net = new GalaxyNet(1, balances);
  readonly keys: TestKey[];
  readonly stars: StarFinality[];
  readonly pending: CandidateBlock[][];
  readonly certs: CheckpointCert[] = [];
  readonly outs: FinalityOutputs[][];
  readonly queue: Envelope[] = [];
  /** stars that do not get envelopes */
  readonly deaf = new Set<number>();

  constructor(observers = 1, idleProposeMs?: number) {
    this.keys = facilitatorKeys(4 + observers);
    this.pending = this.keys.map(() => []);
    this.outs = this.keys.map(() => []);
    const genesis = this.net.head;
    this.stars = this.keys.map(
      (k, i) => new StarFinality({ self: k.pk, genesis, galaxies: this.net.galaxies, pending: () => this.pending[i]!, idleProposeMs }),
    );
    // block 1: the four facilitators are present (the observers are not)
    this.net.presence(
      this.keys.slice(0, 4).map((k) => k.pk),
      0,
    );
    this.net.tick(0);
    this.net.tick(1_000);
    this.follow(1_000);
  }

  /** Every Star takes the Galaxy's blocks it lacks. */
  follow(now: number): void {
    const core = this.net.cores[0]!;
    this.stars.forEach((star, i) => {
      for (let h = star.height + 1; h <= core.height; h++) this.block(i, core.block(h)!.block, now);
    });
    this.flush(now);
  }

  block(i: number, block: BlackholeBlock, now: number): FinalityOutputs | undefined {
    const star = this.stars[i]!;
    const c = star.checkBlackhole(block);
    if (c.kind !== 'verify') return undefined;
    const out = star.acceptBlackhole(block, c.items.map(nobleVerify), now);
    this.absorb(i, out, now);
    return out;
  }

  absorb(i: number, out: FinalityOutputs, now: number): void {
    this.outs[i]!.push(out);
    const star = this.stars[i]!;
    const key = this.keys[i]!;
    for (const u of out.send) this.queue.push({ ...u, sig: key.sign(envelopeSigningBytes(u)) });
    if (out.verifyUnion) {
      const verdicts = out.verifyUnion.blocks.map((c) => nobleVerify({ pk: c.block.pk, message: signingBytes(c.block), sig: c.block.sig }));
      this.absorb(i, star.unionVerified(out.verifyUnion.round, verdicts, now), now);
    }
    if (out.signCheckpoint) this.absorb(i, star.signedCheckpoint(out.signCheckpoint.round, key.sign(checkpointSigningBytes(out.signCheckpoint.hash)), now), now);
    this.certs.push(...out.certs);
    for (const env of out.replay ?? []) this.envelope(i, env, now);
  }

  envelope(i: number, env: Envelope, now: number): void {
    const star = this.stars[i]!;
    const c = star.checkEnvelope(env);
    if (c.kind === 'verify') this.absorb(i, star.acceptEnvelope(env, c.items.map(nobleVerify), now), now);
  }

  flush(now: number): void {
    while (this.queue.length > 0) {
      const env = this.queue.shift()!;
      this.stars.forEach((_, i) => {
        if (!this.deaf.has(i) && !bytesIs(env.from, this.keys[i]!.pk)) this.envelope(i, env, now);
      });
    }
  }

  tick(now: number): void {
    this.stars.forEach((star, i) => this.absorb(i, star.tick(now), now));
    this.flush(now);
  }

  /** all outputs' field values of Star i, flattened */
  all(i: number, field: 'final' | 'rejected' | 'checkpointed'): string[] {
    return this.outs[i]!.flatMap((o) => o[field]);
  }
}

function bytesIs(a: Uint8Array, b: Uint8Array): boolean {
  return toHex(a) === toHex(b);
}

describe('StarFinality', () => {
  it('follows Blackhole blocks like a light client: old, gap, bad roots, no quorum', () => {
    const h = new Harness();
    const star = h.stars[4]!;
    const core = h.net.cores[0]!;
    assert.equal(star.height, 1);
    assert.equal(star.round, 2);
    assert.deepEqual(star.checkBlackhole(core.block(1)!.block), { kind: 'old' });
    h.net.tick(7_000); // block 2 (empty, after the round timeout)
    h.net.tick(17_000); // block 3 (the timeout doubled after round 2 timed out)
    assert.deepEqual(star.checkBlackhole(core.block(3)!.block), { kind: 'gap', from: 2 });
    const b2 = core.block(2)!.block;
    const badRoot = { ...b2, body: { ...b2.body, accepted: [new Uint8Array(32)] } };
    assert.equal(star.checkBlackhole(badRoot).kind, 'invalid');
    const otherPrev = { ...b2, header: { ...b2.header, prev: new Uint8Array(32) } };
    assert.equal(star.checkBlackhole(otherPrev).kind, 'invalid');
    const c = star.checkBlackhole(b2);
    assert.equal(c.kind, 'verify');
    assert.equal(star.acceptBlackhole(b2, [false], 13_000).final.length, 0);
    assert.equal(star.height, 1, 'no quorum: not accepted');
    star.acceptBlackhole(b2, [true], 13_000);
    assert.equal(star.height, 2);
    assert.deepEqual(star.headHash, blackholeHash(b2.header));
  });

  it('each seat proposes its own share of the accounts first, so the checkpoint covers more than one proposal can hold, every chain without a hole', () => {
    const h = new Harness();
    // 8 accounts with 150 open proposals each, held by every seat: 1,200 blocks, more than
    // one proposal (MAX_PROPOSAL_BLOCKS, 512) holds
    const accounts = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => testAccount(100 + i));
    const chains = accounts.map((a) => {
      const chain: CandidateBlock[] = [];
      let prev;
      for (let i = 0; i < 150; i++) {
        prev = nextBlock(a, prev, { linkPk: bob.pk, amount: 1, time: 5 });
        chain.push(candidate(prev));
      }
      return chain;
    });
    // oldest first, the chains interleaved as they would arrive
    const all = chains[0]!.flatMap((_, i) => chains.map((c) => c[i]!));
    for (let i = 0; i < 4; i++) h.pending[i] = all;
    h.tick(1_100);
    // none of these proposals is countersigned: the seats wait PAIR_WAIT_MS for agreements first
    h.tick(1_100 + PAIR_WAIT_MS);
    assert.ok(h.certs.length >= 3);
    const entries = new Set(hexes(h.certs[0]!.checkpoint.entries));
    assert.ok(entries.size > MAX_PROPOSAL_BLOCKS, `the shares together cover more than one proposal (${entries.size})`);
    for (const chain of chains) {
      const inCheckpoint = chain.map((c) => entries.has(toHex(c.hash)));
      const prefix = inCheckpoint.indexOf(false) === -1 ? chain.length : inCheckpoint.indexOf(false);
      assert.ok(inCheckpoint.slice(prefix).every((x) => !x), 'an account’s blocks are a prefix of its chain: no hole for the Galaxy to defer');
    }
  });

  it('a proposal held back for its agreement holds back the later blocks of its account', () => {
    const h = new Harness();
    const p1 = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1, time: 5 });
    const a1 = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 1, time: 5 });
    const p2 = nextBlock(alice, p1, { linkPk: carol.pk, amount: 1, time: 5 });
    const p3 = nextBlock(alice, p2, { linkPk: bob.pk, amount: 1, time: 5 });
    const a3 = nextBlock(bob, a1, { linkPk: alice.pk, linkSeq: 3, amount: 1, time: 5 });
    // p2's agreement has not come: p3 (countersigned) must not go in without it
    for (let i = 0; i < 4; i++) h.pending[i] = [p1, a1, p2, p3, a3].map(candidate);
    h.tick(1_100);
    const entries = new Set(hexes(h.certs[0]?.checkpoint.entries ?? []));
    assert.ok(h.certs.length >= 3, 'the round went on with what was ready');
    assert.deepEqual(
      [p1, a1, p2, p3, a3].map((b) => entries.has(toHex(halfBlockHash(b)))),
      [true, true, false, false, false],
      'p1 and its agreement go; p2 waits for its agreement, p3 waits behind it, and p3’s agreement with it',
    );
  });

  it('seats agree on one checkpoint, certify it, and the Galaxy makes its entries final with proofs', () => {
    const h = new Harness();
    const seats = h.stars[0]!.facilitators(2)!;
    assert.equal(seats.length, 4);
    assert.deepEqual(new Set(hexes(seats)), new Set(hexes(h.keys.slice(0, 4).map((k) => k.pk))));
    assert.equal(h.stars[4]!.seated, false);
    const p = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 5, time: 5 });
    const a = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 5, time: 6 });
    const q = nextBlock(carol, undefined, { linkPk: bob.pk, amount: 2, time: 7 });
    const b = nextBlock(bob, a, { linkPk: carol.pk, linkSeq: 1, amount: 2, time: 8 });
    // the seats hold different pending blocks (each transfer with its agreement); the checkpoint is their union
    h.pending[0] = [candidate(p), candidate(a)];
    h.pending[1] = [candidate(q), candidate(b)];
    h.pending[4] = [candidate(p)];
    h.tick(1_100);
    assert.ok(h.certs.length >= 3, 'every seat that certified publishes the cert');
    const hashes = new Set(h.certs.map((c) => toHex(checkpointHash(c.checkpoint))));
    assert.equal(hashes.size, 1, 'one checkpoint for the round');
    const cert = h.certs[0]!;
    assert.ok(cert.checkpoint.entries.length >= 1);
    // the seats that built the cert marked its entries checkpointed
    for (const e of cert.checkpoint.entries) assert.equal(h.stars[0]!.statusOf(toHex(e)), 'checkpointed');
    // a Star that is not seated learns it from the cert
    const observer = h.stars[4]!;
    const c = observer.checkCert(cert);
    assert.equal(c.kind, 'verify');
    const marked = observer.acceptCert(cert, c.kind === 'verify' ? c.items.map(nobleVerify) : []);
    assert.deepEqual(new Set(marked.checkpointed), new Set(hexes(cert.checkpoint.entries)));
    // up to the Galaxy, then back down as block 2
    h.net.submit(cert, 1_200);
    h.follow(1_200);
    const core = h.net.cores[0]!;
    assert.equal(core.height, 2);
    for (const e of core.head.body.accepted) {
      for (const star of h.stars) assert.equal(star.statusOf(toHex(e)), 'final');
    }
    assert.ok(h.all(4, 'final').includes(toHex(candidate(p).hash)));
    const proof = observer.proofOf(toHex(candidate(p).hash))!;
    assert.ok(verifyFinalityProof(proof, h.net.galaxies, finalityProofVerifyItems(proof, h.net.galaxies).map(nobleVerify)));
    assert.equal(observer.round, 3);
    // each seat kept when it passed each step of round 2, in order; the observer kept nothing
    h.stars.slice(0, 4).forEach((star, i) => {
      const t = star.roundTimes().find((r) => r.round === 2)!;
      const order = [t.opened, t.proposed, t.delivered, t.ones, t.decided, t.certified];
      assert.ok(order.every((x, k) => x !== undefined && (k === 0 || order[k - 1]! <= x)), JSON.stringify(t));
      assert.equal(toHex(seats[t.seat]!), toHex(h.keys[i]!.pk));
    });
    assert.deepEqual(observer.roundTimes(), []);
  });

  it('drops both twins of a double spend from the checkpoint', () => {
    const h = new Harness();
    const twinA = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 5, time: 5 });
    const twinB = nextBlock(alice, undefined, { linkPk: carol.pk, amount: 6, time: 5 });
    const other = nextBlock(bob, undefined, { linkPk: carol.pk, amount: 1, time: 5 });
    h.pending[0] = [candidate(twinA), candidate(other)];
    h.pending[1] = [candidate(twinB)];
    h.pending[2] = [candidate(twinA)];
    h.pending[3] = [candidate(twinB)];
    h.tick(1_100);
    // none of these proposals is countersigned: the seats wait PAIR_WAIT_MS for agreements first
    h.tick(1_100 + PAIR_WAIT_MS);
    // any n − f = 3 proposals include a holder of each twin, so the union has both
    const entries = new Set(hexes(h.certs[0]!.checkpoint.entries));
    assert.equal(entries.has(toHex(candidate(twinA).hash)), false);
    assert.equal(entries.has(toHex(candidate(twinB).hash)), false);
  });

  it('a proposal without its agreement is held back, at most PAIR_WAIT_MS, so both halves share a checkpoint', () => {
    const p = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 5, time: 5 });
    const a = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 5, time: 6 });
    const paired = new Harness();
    for (let i = 0; i < 4; i++) paired.pending[i] = [candidate(p)];
    paired.tick(1_100);
    assert.equal(paired.certs.length, 0, 'the seats wait for the agreement');
    for (let i = 0; i < 4; i++) paired.pending[i] = [candidate(p), candidate(a)];
    paired.tick(1_300);
    assert.ok(paired.certs.length >= 3, 'the agreement arrived: the round goes on at once');
    assert.deepEqual(new Set(hexes(paired.certs[0]!.checkpoint.entries)), new Set([toHex(candidate(p).hash), toHex(candidate(a).hash)]));

    // a receiver that never countersigns (closed tab) delays the round by PAIR_WAIT_MS, once
    const alone = new Harness();
    for (let i = 0; i < 4; i++) alone.pending[i] = [candidate(p)];
    alone.tick(1_100);
    alone.tick(1_100 + PAIR_WAIT_MS - 1);
    assert.equal(alone.certs.length, 0);
    alone.tick(1_100 + PAIR_WAIT_MS);
    assert.ok(alone.certs.length >= 3);
    assert.deepEqual(hexes(alone.certs[0]!.checkpoint.entries), [toHex(candidate(p).hash)]);
  });

  it('the round does not wait for an unpaired proposal: it goes on with what is ready', () => {
    const x = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 5, time: 5 });
    const xa = nextBlock(bob, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 5, time: 6 });
    const fresh = nextBlock(carol, undefined, { linkPk: alice.pk, amount: 1, time: 7 });
    const h = new Harness();
    for (let i = 0; i < 4; i++) h.pending[i] = [candidate(x), candidate(xa), candidate(fresh)];
    h.tick(1_100);
    assert.ok(h.certs.length >= 3, 'the paired transfer is checkpointed at once');
    assert.deepEqual(new Set(hexes(h.certs[0]!.checkpoint.entries)), new Set([x, xa].map((b) => toHex(candidate(b).hash))));
  });

  it('a seat with nothing pending proposes after idleProposeMs, or at once when a seat’s message arrives', () => {
    const h = new Harness(1, 500);
    h.deaf.add(0);
    h.stars[0]!.tick(1_200); // learns the round's start
    h.tick(1_200);
    assert.equal(h.certs.length, 0, 'nobody proposed yet');
    h.tick(1_499);
    assert.equal(h.certs.length, 0);
    h.deaf.delete(0);
    h.tick(1_500);
    assert.ok(h.certs.length >= 3, 'an empty round is certified');
    assert.deepEqual(h.certs[0]!.checkpoint.entries, []);
  });

  it('checks envelopes: kind, seat and signatures; keeps a future round’s and hands them back when it gets there', () => {
    const h = new Harness();
    const star = h.stars[4]!;
    const seat = h.keys[0]!;
    const u = { kind: 'round' as const, instance: 2, cluster: 0, from: seat.pk, items: [{ to: -1, m: { t: 'share' as const, hash: new Uint8Array(32), sig: new Uint8Array(64) } }] };
    const env = { ...u, sig: seat.sign(envelopeSigningBytes(u)) };
    const c = star.checkEnvelope(env);
    assert.equal(c.kind, 'verify');
    assert.equal(c.kind === 'verify' && c.items.length, 2, 'envelope + one share');
    assert.deepEqual(c.kind === 'verify' && c.items.map(nobleVerify), [true, false]);
    assert.equal(star.checkEnvelope({ ...env, kind: 'galaxy' }).kind, 'invalid');
    const stranger = h.keys[4]!;
    assert.equal(star.checkEnvelope({ ...env, from: stranger.pk }).kind, 'invalid', 'not a seat');
    assert.equal(star.checkEnvelope({ ...env, instance: 1 }).kind, 'later', 'a closed round');
    const early = { ...u, instance: 3 };
    const earlyEnv = { ...early, sig: seat.sign(envelopeSigningBytes(early)) };
    assert.equal(star.checkEnvelope(earlyEnv).kind, 'later');
    // round 2 ends (an empty block after the Galaxy's timeout); round 3's facilitators are
    // drawn again from the same roster, and the kept envelope comes back
    h.net.tick(7_000);
    const out = h.block(4, h.net.cores[0]!.block(2)!.block, 7_000)!;
    assert.equal(star.round, 3);
    assert.deepEqual(out.replay?.map((e) => toHex(e.sig)), [toHex(earlyEnv.sig)]);
  });

  it('marks what the Galaxy rejected', () => {
    const h = new Harness();
    const over = nextBlock(bob, undefined, { linkPk: carol.pk, amount: 100, time: 5 });
    h.pending[0] = [candidate(over)];
    h.tick(1_100);
    // none of these proposals is countersigned: the seats wait PAIR_WAIT_MS for agreements first
    h.tick(1_100 + PAIR_WAIT_MS);
    h.net.submit(h.certs[0]!, 2_200);
    h.follow(2_200);
    assert.equal(h.stars[4]!.statusOf(toHex(candidate(over).hash)), 'rejected');
    assert.ok(h.all(4, 'rejected').includes(toHex(candidate(over).hash)));
    assert.equal(h.stars[4]!.proofOf(toHex(candidate(over).hash)), undefined);
  });
});

describe('certGossipDelay', () => {
  const seats = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));

  it('gives each seat of a round its own turn, one seat at once, and rotates the turns with the round', () => {
    for (const round of [1, 2, 7, 100]) {
      const delays = seats.map((s) => certGossipDelay(seats, s, round, 500));
      assert.deepEqual([...delays].sort((a, b) => a - b), [0, 500, 1000, 1500], `round ${round}`);
    }
    const first = (round: number) => seats.findIndex((s) => certGossipDelay(seats, s, round, 500) === 0);
    assert.deepEqual([4, 5, 6, 7].map(first), [0, 1, 2, 3]);
  });

  it('a Star that is not a seat of the round publishes at once', () => {
    assert.equal(certGossipDelay(seats, new Uint8Array(32).fill(9), 3, 500), 0);
  });
});
