import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, it } from 'node:test';
import { nextBlock, testAccount } from '../chain/test-signer.ts';
import type { HalfBlock } from '../chain/half-block.ts';
import { ZERO_HASH } from '../chain/half-block.ts';
import { toHex } from '../codec/hex.ts';
import { blackholeHash, blackholeSigningBytes, finalityProofVerifyItems, verifyFinalityProof } from './blackhole.ts';
import { checkpointHash, type CandidateBlock, type CheckpointCert } from './checkpoint.ts';
import { certify, facilitatorKeys, GalaxyNet, hexes, NETWORK } from './finality-test-kit.ts';
import { clusterOf, nextClusterCount } from './clusters.ts';
import { CATCH_UP_AFTER_MS, decodeStoredBlackhole, encodeStoredBlackhole, GalaxyCore, type StoredBlackhole } from './galaxy-core.ts';
import { candidate, nobleVerify } from './test-fixtures.ts';
import { envelopeSigningBytes } from './wire.ts';

const alice = testAccount(1);
const bob = testAccount(2);
const carol = testAccount(3);
const balances = new Map([
  [toHex(alice.pk), 1000],
  [toHex(bob.pk), 50],
]);
const fk = facilitatorKeys(4);

/** A network whose block 1 carries the four facilitators' presence as its roster. */
function setup(galaxies = 1): GalaxyNet {
  const net = new GalaxyNet(galaxies, balances);
  net.presence(
    fk.map((k) => k.pk),
    0,
  );
  net.tick(0);
  assert.equal(net.head.header.height, 0, 'nothing before the empty-roster delay');
  net.tick(1_000);
  assert.equal(net.head.header.height, 1);
  return net;
}

/** The previous checkpoint of cluster 0 as of the core's head. */
function prevOf(core: GalaxyCore): Uint8Array {
  for (let h = core.height; h >= 1; h--) {
    const c = core.block(h)!.block.body.checkpoints.find((x) => x.cluster === 0);
    if (c) return checkpointHash(c);
  }
  return ZERO_HASH;
}

function certFor(core: GalaxyCore, blocks: readonly CandidateBlock[], over: Partial<{ round: number; base: Uint8Array; prev: Uint8Array; signers: number[] }> = {}): CheckpointCert {
  return certify(
    core.seatsOf(0),
    fk,
    { cluster: 0, round: over.round ?? core.height + 1, base: over.base ?? core.headHash, prev: over.prev ?? prevOf(core) },
    blocks,
    over.signers,
  );
}

/** alice → bob (amount) and bob's agreement, as candidates */
function transfer(from: typeof alice, to: typeof alice, prevFrom: HalfBlock | undefined, prevTo: HalfBlock | undefined, amount: number) {
  const p = nextBlock(from, prevFrom, { linkPk: to.pk, amount, time: 5 });
  const a = nextBlock(to, prevTo, { linkPk: from.pk, linkSeq: p.seq, amount, time: 6 });
  return { p, a, cp: candidate(p), ca: candidate(a) };
}

describe('GalaxyCore', () => {
  it('builds block 1 from fresh presence: the roster is the present Stars, and they are the next facilitators', () => {
    const net = setup();
    const block = net.head;
    assert.deepEqual(hexes(block.body.roster), hexes(fk.map((k) => k.pk)).sort());
    assert.equal(block.body.checkpoints.length, 0);
    assert.equal(net.cores[0]!.seatsOf(0).length, 4);
    assert.equal(block.sigs.length, 1);
    assert.ok(nobleVerify({ pk: net.galaxies[0]!, message: blackholeSigningBytes(blackholeHash(block.header)), sig: block.sigs[0]!.sig }));
  });

  it('turns a certified checkpoint into a block: accepted half-blocks, account state and a proof', () => {
    const net = setup();
    const core = net.cores[0]!;
    const t = transfer(alice, bob, undefined, undefined, 7);
    net.submit(certFor(core, [t.cp, t.ca]), 2_000);
    assert.equal(core.height, 2, 'a cert for every cluster: the Galaxy proposes at once');
    const block = core.head;
    assert.equal(block.body.checkpoints.length, 1);
    assert.deepEqual(new Set(hexes(block.body.accepted)), new Set(hexes([t.cp.hash, t.ca.hash])));
    assert.deepEqual(block.body.rejected, []);
    assert.equal(core.account(alice.pk)!.balance, 993);
    assert.equal(core.account(bob.pk)!.balance, 57);
    assert.equal(core.account(alice.pk)!.seq, 1);
    const proof = core.proof(toHex(t.cp.hash))!;
    assert.ok(proof);
    assert.ok(verifyFinalityProof(proof, net.galaxies, finalityProofVerifyItems(proof, net.galaxies).map(nobleVerify)));
    assert.equal(core.proof(toHex(ZERO_HASH)), undefined);
  });

  it('refuses a cert without a facilitator quorum, or naming another base or previous checkpoint', () => {
    const net = setup();
    const core = net.cores[0]!;
    const t = transfer(alice, bob, undefined, undefined, 7);
    net.submit(certFor(core, [t.cp, t.ca], { signers: [0, 1] }), 2_000);
    net.submit(certFor(core, [t.cp, t.ca], { base: ZERO_HASH }), 2_000);
    net.submit(certFor(core, [t.cp, t.ca], { prev: blackholeHash(core.head.header) }), 2_000);
    assert.equal(core.height, 1);
    assert.equal(net.refused.length, 3);
    assert.match(net.refused[0]!, /quorum/);
    assert.match(net.refused[1]!, /base/);
    assert.match(net.refused[2]!, /prev/);
    // a closed round's cert is dropped without blame
    net.submit(certFor(core, [t.cp], { round: 1 }), 2_000);
    assert.equal(net.refused.length, 3);
    // three of four seats are a quorum
    net.submit(certFor(core, [t.cp, t.ca], { signers: [0, 2, 3] }), 2_000);
    assert.equal(core.height, 2);
    assert.equal(core.head.body.accepted.length, 2);
  });

  it('defers blocks whose history is missing and rejects for good what breaks the rules', () => {
    const net = setup();
    const core = net.cores[0]!;
    const t = transfer(alice, carol, undefined, undefined, 3);
    const over = nextBlock(bob, undefined, { linkPk: carol.pk, amount: 100, time: 5 }); // bob has 50
    const after = nextBlock(bob, over, { linkPk: carol.pk, amount: 1, time: 6 });
    net.submit(certFor(core, [t.ca, candidate(over), candidate(after)]), 2_000);
    const b2 = core.head;
    assert.equal(b2.header.height, 2);
    assert.deepEqual(b2.body.accepted, [], 'the agreement waits for its proposal');
    assert.deepEqual(new Set(hexes(b2.body.rejected)), new Set(hexes([candidate(over).hash, candidate(after).hash])));
    // the next round carries the proposal and (again) the agreement: both final now
    net.submit(certFor(core, [t.cp, t.ca]), 3_000);
    assert.equal(core.height, 3);
    assert.deepEqual(new Set(hexes(core.head.body.accepted)), new Set(hexes([t.cp.hash, t.ca.hash])));
    assert.equal(core.account(carol.pk)!.balance, 3);
    assert.equal(core.account(bob.pk)!.balance, 50);
    // a rejected block seen again is not listed again
    net.submit(certFor(core, [candidate(over)]), 4_000);
    assert.deepEqual(core.head.body.rejected, []);
  });

  it('rejects a double spend against a final block and blocks the forking account', () => {
    const net = setup();
    const core = net.cores[0]!;
    const t = transfer(alice, bob, undefined, undefined, 5);
    net.submit(certFor(core, [t.cp, t.ca]), 2_000);
    const twin = nextBlock(alice, undefined, { linkPk: carol.pk, amount: 9, time: 5 });
    const twinAgreement = nextBlock(carol, undefined, { linkPk: alice.pk, linkSeq: 1, amount: 9, time: 6 });
    net.submit(certFor(core, [candidate(twin), candidate(twinAgreement)]), 3_000);
    assert.equal(core.height, 3);
    assert.deepEqual(core.head.body.accepted, []);
    assert.deepEqual(new Set(hexes(core.head.body.rejected)), new Set(hexes([candidate(twin).hash, candidate(twinAgreement).hash])));
    assert.equal(core.account(alice.pk)!.blocked, true);
    assert.equal(core.account(alice.pk)!.balance, 995, 'the final spend stands');
  });

  it('restarts from its stored blocks with the same head, state and proofs', () => {
    const net = setup();
    const core = net.cores[0]!;
    const t = transfer(alice, bob, undefined, undefined, 7);
    net.submit(certFor(core, [t.cp, t.ca]), 2_000);
    net.tick(10_000); // an empty round after the timeout
    assert.equal(core.height, 3);
    const stored: StoredBlackhole[] = [];
    for (let h = 1; h <= core.height; h++) {
      const d = decodeStoredBlackhole(encodeStoredBlackhole(core.block(h)!));
      assert.ok(d.ok, d.ok ? '' : d.reason);
      stored.push(d.value);
    }
    const again = new GalaxyCore({ network: NETWORK, galaxies: net.galaxies, me: 0, balances, verify: nobleVerify }, stored);
    assert.equal(again.height, 3);
    assert.deepEqual(again.headHash, core.headHash);
    assert.deepEqual(again.account(alice.pk), core.account(alice.pk));
    assert.deepEqual(again.account(bob.pk), core.account(bob.pk));
    assert.deepEqual(again.proof(toHex(t.ca.hash)), core.proof(toHex(t.ca.hash)));
    assert.deepEqual(hexes(again.seatsOf(0) as Uint8Array[]), hexes(core.seatsOf(0) as Uint8Array[]));
    // and it goes on from there
    const next = transfer(alice, bob, t.p, t.a, 1);
    const cert = certFor(again, [next.cp, next.ca]);
    const out = again.onCheckpoint(cert, 11_000);
    assert.ok(out.signBlock);
    const done = again.signedBlock(out.signBlock.height, net.keys[0]!.sign(blackholeSigningBytes(out.signBlock.hash)), 11_000);
    assert.equal(done.blocks.length, 1);
    assert.equal(again.height, 4);
  });

  it('refuses at start a stored chain that does not rebuild the state its headers commit to', () => {
    const net = setup();
    const core = net.cores[0]!;
    const t = transfer(alice, bob, undefined, undefined, 7);
    net.submit(certFor(core, [t.cp, t.ca]), 2_000);
    const s2 = core.block(2)!;
    const tampered: StoredBlackhole = { ...s2, certs: [] };
    assert.throws(() => new GalaxyCore({ network: NETWORK, galaxies: net.galaxies, me: 0, balances, verify: nobleVerify }, [core.block(1)!, tampered]), /stored Blackhole block 2/);
  });

  it('four Galaxies agree on every block with one of them down, and the one that was down catches up from a peer', () => {
    const net = setup(4);
    net.down.add(3);
    const core = net.cores[0]!;
    let prevA: HalfBlock | undefined;
    let prevB: HalfBlock | undefined;
    for (let r = 0; r < 3; r++) {
      const t = transfer(alice, bob, prevA, prevB, 1);
      prevA = t.p;
      prevB = t.a;
      net.submit(certFor(core, [t.cp, t.ca]), 2_000 + r);
    }
    assert.equal(core.height, 4);
    for (const i of [1, 2]) assert.deepEqual(net.cores[i]!.headHash, core.headHash);
    assert.ok(core.head.sigs.length >= 3);
    const late = net.cores[3]!;
    assert.equal(late.height, 1);
    // blocks out of order from its head: asks for the rest
    const gap = late.catchUp(core.blocks(3, 10), 5_000);
    assert.equal(gap.fetchFrom, 2);
    // a block short of a Galaxy quorum is refused
    const forged: StoredBlackhole = { ...core.block(2)!, block: { ...core.block(2)!.block, sigs: core.block(2)!.block.sigs.slice(0, 2) } };
    const refused = late.catchUp([forged], 5_000);
    assert.match(refused.refused[0]!.reason, /quorum/);
    assert.equal(late.height, 1);
    const out = late.catchUp(core.blocks(2, 10), 5_000);
    assert.equal(out.blocks.length, 3);
    assert.equal(late.height, 4);
    assert.deepEqual(late.headHash, core.headHash);
    assert.deepEqual(late.account(bob.pk), core.account(bob.pk));
    // back in the quorum, it takes part in the next block
    net.down.delete(3);
    const t = transfer(alice, bob, prevA, prevB, 1);
    net.submit(certFor(core, [t.cp, t.ca]), 6_000);
    assert.equal(late.height, 5);
    assert.deepEqual(late.headHash, core.headHash);
  });

  it('asks to catch up when another Galaxy works on a height beyond its own', () => {
    const net = setup(4);
    const core = net.cores[0]!;
    const key = net.keys[1]!;
    const ahead = (instance: number) => {
      const u = { kind: 'galaxy' as const, instance, cluster: 0, from: key.pk, items: [{ to: -1, m: { t: 'share' as const, hash: ZERO_HASH, sig: new Uint8Array(64) } }] };
      return { ...u, sig: key.sign(envelopeSigningBytes(u)) };
    };
    assert.equal(core.onEnvelope(ahead(5), 3_000).fetchFrom, 2, 'two or more heights ahead: at once');
    const next = core.onEnvelope(ahead(3), 3_100);
    assert.equal(next.fetchFrom, undefined, 'one height ahead: our shares may still be on their way');
    assert.equal(core.tick(3_100 + CATCH_UP_AFTER_MS).fetchFrom, 2);
  });

  it('moves on with an empty block when no checkpoint comes within the round timeout', () => {
    const net = setup();
    const core = net.cores[0]!;
    const seed = core.head.header.seed;
    net.tick(5_999);
    assert.equal(core.height, 1);
    net.tick(6_000);
    assert.equal(core.height, 2);
    assert.notDeepEqual(core.head.header.seed, seed);
    assert.deepEqual(core.head.body.checkpoints, []);
  });

  it('doubles the round timeout after each round its seats let time out (up to 8×)', () => {
    const net = setup();
    const core = net.cores[0]!;
    // block 1 at t=1000; block 2 by timeout at 6000 (5 s); then 10 s, 20 s, 40 s, 40 s
    net.tick(6_000);
    assert.equal(core.height, 2);
    let at = 6_000;
    for (const wait of [10_000, 20_000, 40_000, 40_000]) {
      const before: number = core.height;
      net.tick(at + wait - 1);
      assert.equal(core.height, before, `not before ${wait} ms`);
      net.tick(at + wait);
      assert.equal(core.height, before + 1, `after ${wait} ms`);
      at += wait;
    }
  });

  it('after a round that needed longer than the timeout, waits twice its smoothed duration, so the next such round is not cut', () => {
    const net = setup();
    const core = net.cores[0]!;
    assert.equal(core.roundTimeoutNow, 5_000);
    // round 2 began with block 1 at t=1000; its checkpoint comes 8 s later (no tick cut it)
    const t = transfer(alice, bob, undefined, undefined, 7);
    net.submit(certFor(core, [t.cp, t.ca]), 9_000);
    assert.equal(core.height, 2);
    assert.equal(core.roundTimeoutNow, 16_000, '2 × the 8 s the round took');
    net.tick(9_000 + 15_999);
    assert.equal(core.height, 2, 'the 5 s timeout would have cut this round');
    net.tick(9_000 + 16_000);
    assert.equal(core.height, 3);
    assert.deepEqual(core.head.body.checkpoints, []);
    assert.equal(core.roundTimeoutNow, 32_000, 'a round cut by the timeout still doubles it');
    // a 2 s round with a checkpoint: the smoothed duration moves a quarter of the way to it
    net.submit(certFor(core, []), 25_000 + 2_000);
    assert.equal(core.height, 4);
    assert.equal(core.roundTimeoutNow, 2 * (8_000 + 0.25 * (2_000 - 8_000)));
  });

  it('raises the cluster count when the roster outgrows a cluster: the same block at every Galaxy and on replay, seats drawn per cluster', () => {
    const net = new GalaxyNet(4, balances);
    // presence keys only (never signing here): 70 distinct 32-byte keys
    const stars = Array.from({ length: 70 }, (_, i) => sha256(Uint8Array.of(0x70, i)));
    net.presence(stars, 0);
    net.tick(0);
    net.tick(1_000);
    const core = net.cores[0]!;
    assert.equal(core.height, 1);
    assert.equal(core.head.header.clusterCount, clusterCountFor(stars), 'the policy, applied to the block roster');
    assert.ok(core.clusterCount > 1);
    for (const other of net.cores) assert.deepEqual(other.headHash, core.headHash, 'every Galaxy built the same block');
    for (let c = 0; c < core.clusterCount; c++) {
      const seats = core.seatsOf(c);
      assert.equal(seats.length, 4);
      for (const pk of seats) assert.equal(clusterOf(pk, core.clusterCount), c, `cluster ${c}'s seats are its members`);
    }
    const again = new GalaxyCore({ network: NETWORK, galaxies: net.galaxies, me: 1, balances, verify: nobleVerify }, [core.block(1)!]);
    assert.deepEqual(again.headHash, core.headHash);
    assert.deepEqual(hexes(again.seatsOf(1) as Uint8Array[]), hexes(core.seatsOf(1) as Uint8Array[]));
  });

  it('decodeStoredBlackhole refuses what is not a stored block', () => {
    assert.equal(decodeStoredBlackhole(new Uint8Array([1, 2, 3])).ok, false);
    assert.equal(decodeStoredBlackhole(new Uint8Array(17 * 1024 * 1024)).ok, false);
  });
});

/** what the default policy makes of a first roster (block 1 measures it under one cluster) */
function clusterCountFor(roster: Uint8Array[]): number {
  return nextClusterCount(1, roster, []);
}
