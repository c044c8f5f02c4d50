import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import { ZERO_HASH } from '../chain/half-block.ts';
import {
  accountLeaf,
  blackholeHash,
  blackholeSigningBytes,
  decodeBlackhole,
  decodeFinalityProof,
  encodeBlackhole,
  encodeFinalityProof,
  finalityProofFor,
  finalityProofVerifyItems,
  genesisBlackhole,
  genesisSeed,
  hasGalaxyQuorum,
  MAX_BLACKHOLE_BYTES,
  MAX_ROSTER,
  nextSeed,
  quorumVerifyItems,
  stateRoot,
  UNIFORM_REPUTATION_DIGEST,
  verifyFinalityProof,
  type BlackholeBlock,
  type FinalityProof,
} from './blackhole.ts';
import { checkpointHash, type Checkpoint } from './checkpoint.ts';
import { merkleRoot, verifyMerkleProof } from './merkle.ts';
import { chain, nobleVerify, plain, testAccount, testKey } from './test-fixtures.ts';

const galaxyKeys = [10, 11, 12, 13].map(testKey);
const galaxies = galaxyKeys.map((k) => k.pk);
const alice = testAccount(1);
const bob = testAccount(2);
const balances = new Map([
  [toHex(alice.pk), 1000],
  [toHex(bob.pk), 50],
]);
const genesis = genesisBlackhole('starweave-test', galaxies, balances);

const compare = (a: Uint8Array, b: Uint8Array) => (toHex(a) < toHex(b) ? -1 : toHex(a) > toHex(b) ? 1 : 0);

/** Block 1: one checkpoint over alice's three proposals, all accepted, signed by `signers`. */
function block1(signers: number[], opts: { roster?: Uint8Array[]; accepted?: Uint8Array[] } = {}): BlackholeBlock {
  const blocks = chain(alice, bob, 3);
  const checkpoint: Checkpoint = { cluster: 0, round: 1, base: blackholeHash(genesis.header), prev: ZERO_HASH, entries: blocks.map((b) => b.hash) };
  const accepted = opts.accepted ?? blocks.map((b) => b.hash);
  const roster = opts.roster ?? [alice.pk, bob.pk, testKey(50).pk].sort(compare);
  const checkpointsRoot = merkleRoot([checkpointHash(checkpoint)]);
  const header = {
    network: 'starweave-test',
    height: 1,
    prev: blackholeHash(genesis.header),
    time: 1_763_700_000_000,
    checkpointsRoot,
    finalRoot: merkleRoot(accepted),
    stateRoot: sha256(Uint8Array.of(5)),
    reputationDigest: UNIFORM_REPUTATION_DIGEST,
    clusterCount: 1,
    seed: nextSeed(genesis.header.seed, checkpointsRoot, 1),
    rosterRoot: merkleRoot(roster),
  };
  const msg = blackholeSigningBytes(blackholeHash(header));
  return {
    header,
    body: { checkpoints: [checkpoint], accepted, rejected: [sha256(Uint8Array.of(77))], roster },
    sigs: signers.map((s) => ({ signer: s, sig: galaxyKeys[s]!.sign(msg) })),
  };
}

function rejects(bytes: Uint8Array, pattern?: RegExp): void {
  const d = decodeBlackhole(bytes);
  assert.equal(d.ok, false, 'decoded unexpectedly');
  if (!d.ok && pattern) assert.match(d.reason, pattern);
}

describe('genesis block', () => {
  it('is derived deterministically from the genesis file', () => {
    const again = genesisBlackhole('starweave-test', galaxies, new Map([...balances].reverse()));
    assert.equal(toHex(blackholeHash(again.header)), toHex(blackholeHash(genesis.header)));
    const h = genesis.header;
    assert.equal(h.height, 0);
    assert.equal(h.time, 0);
    assert.equal(toHex(h.prev), toHex(ZERO_HASH));
    assert.equal(h.clusterCount, 1);
    assert.equal(toHex(h.finalRoot), toHex(merkleRoot([])));
    assert.equal(toHex(h.checkpointsRoot), toHex(merkleRoot([])));
    assert.equal(toHex(h.rosterRoot), toHex(merkleRoot([])));
    assert.equal(toHex(h.seed), toHex(genesisSeed('starweave-test', galaxies)));
    assert.deepEqual(genesis.sigs, []);
    assert.deepEqual(plain(genesis.body), { checkpoints: [], accepted: [], rejected: [], roster: [] });
    const leaves = [alice.pk, bob.pk].sort(compare).map((pk) => accountLeaf(pk, { seq: 0, head: ZERO_HASH, balance: pk === alice.pk ? 1000 : 50, blocked: false }));
    assert.equal(toHex(h.stateRoot), toHex(merkleRoot(leaves)));
  });
  it('differs by network, galaxies and balances', () => {
    const h = toHex(blackholeHash(genesis.header));
    assert.notEqual(toHex(blackholeHash(genesisBlackhole('other', galaxies, balances).header)), h);
    assert.notEqual(toHex(blackholeHash(genesisBlackhole('starweave-test', galaxies.slice(1), balances).header)), h);
    assert.notEqual(toHex(blackholeHash(genesisBlackhole('starweave-test', [...galaxies].reverse(), balances).header)), h);
    assert.notEqual(toHex(blackholeHash(genesisBlackhole('starweave-test', galaxies, new Map([[toHex(alice.pk), 1000]])).header)), h);
  });
  it('round-trips through the encoding', () => {
    const d = decodeBlackhole(encodeBlackhole(genesis));
    assert.ok(d.ok, d.ok ? '' : d.reason);
    assert.deepEqual(plain(d.value), plain(genesis));
  });
});

describe('state root', () => {
  it('account leaves are fixed-width and carry every field', () => {
    const state = { seq: 3, head: sha256(Uint8Array.of(1)), balance: 2 ** 40 + 7, blocked: false };
    const leaf = accountLeaf(alice.pk, state);
    assert.equal(leaf.length, 81);
    assert.equal(toHex(accountLeaf(toHex(alice.pk), state)), toHex(leaf));
    assert.equal(toHex(leaf.slice(0, 32)), toHex(alice.pk));
    assert.equal(toHex(leaf.slice(32, 40)), '0000000000000003');
    assert.equal(toHex(leaf.slice(72, 80)), '0000010000000007');
    assert.equal(leaf[80], 0);
    assert.equal(accountLeaf(alice.pk, { ...state, blocked: true })[80], 1);
    assert.throws(() => accountLeaf(alice.pk, { ...state, balance: -1 }), RangeError);
    assert.throws(() => accountLeaf(alice.pk, { ...state, seq: 1.5 }), RangeError);
    assert.throws(() => accountLeaf('zz', state), RangeError);
  });
  it('sorts accounts by key', () => {
    const s = { seq: 0, head: ZERO_HASH, balance: 1, blocked: false };
    const a: Array<[string, typeof s]> = [
      [toHex(alice.pk), s],
      [toHex(bob.pk), { ...s, balance: 2 }],
    ];
    assert.equal(toHex(stateRoot(a)), toHex(stateRoot([...a].reverse())));
    assert.equal(toHex(stateRoot([])), toHex(merkleRoot([])));
  });
});

describe('blackhole blocks', () => {
  it('round-trip and hash the header only', () => {
    const block = block1([0, 1, 2]);
    const bytes = encodeBlackhole(block);
    const d = decodeBlackhole(bytes);
    assert.ok(d.ok, d.ok ? '' : d.reason);
    assert.deepEqual(plain(d.value), plain(block));
    assert.equal(toHex(encodeBlackhole(d.value)), toHex(bytes));
    assert.equal(toHex(blackholeHash(d.value.header)), toHex(blackholeHash(block.header)));
    const signing = blackholeSigningBytes(blackholeHash(block.header));
    assert.equal(new TextDecoder().decode(signing.slice(0, -32)), 'starweave/blackhole/1');
  });

  it('the seed moves on every block, with or without checkpoints', () => {
    const empty = merkleRoot([]);
    const s1 = nextSeed(genesis.header.seed, empty, 1);
    const s2 = nextSeed(s1, empty, 2);
    assert.notEqual(toHex(s1), toHex(genesis.header.seed));
    assert.notEqual(toHex(s2), toHex(s1));
    assert.notEqual(toHex(nextSeed(genesis.header.seed, sha256(Uint8Array.of(1)), 1)), toHex(s1));
  });

  it('rejects a body that does not match the header, and malformed shapes', () => {
    const block = block1([0, 1, 2]);
    const enc = encodeBlackhole;
    const { header, body } = block;
    rejects(enc({ ...block, body: { ...body, accepted: body.accepted.slice(1) } }), /finalRoot/);
    rejects(enc({ ...block, body: { ...body, accepted: [...body.accepted].reverse() } }), /finalRoot/);
    rejects(enc({ ...block, body: { ...body, checkpoints: [] } }), /checkpointsRoot/);
    rejects(enc({ ...block, body: { ...body, checkpoints: [{ ...body.checkpoints[0]!, entries: [] }] } }), /checkpointsRoot/);
    rejects(enc({ ...block, body: { ...body, checkpoints: [{ ...body.checkpoints[0]!, round: 2 }] } }), /round/);
    rejects(enc({ ...block, body: { ...body, checkpoints: [{ ...body.checkpoints[0]!, base: ZERO_HASH }] } }), /another block/);
    rejects(enc({ ...block, body: { ...body, checkpoints: [body.checkpoints[0]!, body.checkpoints[0]!] } }), /cluster/);
    rejects(enc({ ...block, body: { ...body, roster: body.roster.slice(1) } }), /rosterRoot/);
    const unsorted = [...body.roster].reverse();
    rejects(enc({ ...block, header: { ...header, rosterRoot: merkleRoot(unsorted) }, body: { ...body, roster: unsorted } }), /sorted/);
    const dupRoster = [body.roster[0]!, body.roster[0]!];
    rejects(enc({ ...block, header: { ...header, rosterRoot: merkleRoot(dupRoster) }, body: { ...body, roster: dupRoster } }), /sorted/);
    const bigRoster = Array.from({ length: MAX_ROSTER + 1 }, (_, i) => {
      const k = new Uint8Array(32);
      k[0] = i >> 8;
      k[1] = i & 255;
      return k;
    });
    rejects(enc({ ...block, header: { ...header, rosterRoot: merkleRoot(bigRoster) }, body: { ...body, roster: bigRoster } }), /roster/);
    rejects(enc({ ...block, body: { ...body, rejected: [body.accepted[0]!] } }), /repeats/);
    rejects(enc({ ...block, body: { ...body, roster: [new Uint8Array(31)] }, header: { ...header, rosterRoot: merkleRoot([new Uint8Array(31)]) } }), /32 bytes/);
    rejects(enc({ ...block, header: { ...header, clusterCount: 0 } }), /clusterCount/);
    rejects(enc({ ...block, header: { ...header, network: '' } }), /network/);
    rejects(enc({ ...block, header: { ...header, height: -1 } }), /height/);
    rejects(enc({ ...block, header: { ...header, time: 0.5 } }), /time/);
    rejects(enc({ ...block, header: { ...header, seed: new Uint8Array(31) } }), /seed/);
    rejects(enc({ ...block, sigs: [block.sigs[0]!, block.sigs[0]!] }), /twice/);
    rejects(enc({ ...block, sigs: [{ signer: 0, sig: new Uint8Array(65) }] }), /64 bytes/);
    const raw = { v: 1, header: { v: 1, network: 'n' }, body: {}, sigs: [] };
    rejects(encodeCanonical(raw), /header/);
    rejects(encodeCanonical({ ...raw, v: 2 }), /version/);
    rejects(Uint8Array.of(0xa0));
    rejects(new Uint8Array(0));
    rejects(new Uint8Array(MAX_BLACKHOLE_BYTES + 1), /too large/);
  });

  it('one-byte mutations never throw and never decode to the same block', () => {
    const bytes = encodeBlackhole(block1([1]));
    let decoded = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const x of [0x01, 0x40, 0xff]) {
        const m = bytes.slice();
        m[i]! ^= x;
        const d = decodeBlackhole(m);
        if (d.ok) {
          decoded++;
          assert.equal(toHex(encodeBlackhole(d.value)), toHex(m));
        }
      }
    }
    // free header fields (time, stateRoot, seed…) and signatures may change; the rest breaks a root or the shape
    assert.ok(decoded > 0 && decoded < bytes.length * 3);
  });

  it('quorum: distinct Galaxy seats with valid signatures', () => {
    const block = block1([0, 2, 3]);
    const items = quorumVerifyItems(block, galaxies);
    const verdicts = items.map(nobleVerify);
    assert.deepEqual(verdicts, [true, true, true]);
    assert.ok(hasGalaxyQuorum(block, galaxies, verdicts));
    assert.ok(!hasGalaxyQuorum(block, galaxies, [true, false, true]));
    assert.ok(!hasGalaxyQuorum(block1([0, 2]), galaxies, [true, true]), '2 of 4 is not a quorum');
    const dup = { ...block, sigs: [block.sigs[0]!, block.sigs[1]!, block.sigs[0]!] };
    assert.ok(!hasGalaxyQuorum(dup, galaxies, quorumVerifyItems(dup, galaxies).map(nobleVerify)));
    const outOfRange = { ...block, sigs: [...block.sigs.slice(0, 2), { signer: 4, sig: block.sigs[2]!.sig }] };
    const oorItems = quorumVerifyItems(outOfRange, galaxies);
    assert.equal(oorItems.length, 2);
    assert.ok(!hasGalaxyQuorum(outOfRange, galaxies, oorItems.map(nobleVerify)));
    // a signature over a changed header does not verify
    const forged = { ...block, header: { ...block.header, time: block.header.time + 1 } };
    assert.ok(!hasGalaxyQuorum(forged, galaxies, quorumVerifyItems(forged, galaxies).map(nobleVerify)));
    // the wrong galaxy set
    const strangers = [20, 21, 22, 23].map((i) => testKey(i).pk);
    assert.ok(!hasGalaxyQuorum(block, strangers, quorumVerifyItems(block, strangers).map(nobleVerify)));
    // no galaxies: no finality
    assert.ok(!hasGalaxyQuorum(block, [], []));
    // one galaxy: its signature alone
    const solo = block1([0]);
    assert.ok(hasGalaxyQuorum(solo, [galaxies[0]!], quorumVerifyItems(solo, [galaxies[0]!]).map(nobleVerify)));
  });
});

describe('finality proofs', () => {
  const block = block1([0, 1, 3]);
  it('prove each accepted half-block and nothing else', () => {
    for (const hash of block.body.accepted) {
      const p = finalityProofFor(block, hash)!;
      assert.ok(p);
      assert.ok(verifyMerkleProof(hash, p.proof, block.header.finalRoot));
      const verdicts = finalityProofVerifyItems(p, galaxies).map(nobleVerify);
      assert.deepEqual(verdicts, quorumVerifyItems(block, galaxies).map(nobleVerify));
      assert.ok(verifyFinalityProof(p, galaxies, verdicts));
      const d = decodeFinalityProof(encodeFinalityProof(p));
      assert.ok(d.ok, d.ok ? '' : d.reason);
      assert.deepEqual(plain(d.value), plain(p));
      assert.ok(verifyFinalityProof(d.value, galaxies, finalityProofVerifyItems(d.value, galaxies).map(nobleVerify)));
    }
    assert.equal(finalityProofFor(block, block.body.rejected[0]!), undefined);
  });
  it('fail with another leaf, a changed header or too few signatures', () => {
    const p = finalityProofFor(block, block.body.accepted[1]!)!;
    const check = (q: FinalityProof) => verifyFinalityProof(q, galaxies, finalityProofVerifyItems(q, galaxies).map(nobleVerify));
    assert.ok(check(p));
    assert.ok(!check({ ...p, leaf: block.body.accepted[0]! }));
    assert.ok(!check({ ...p, leaf: block.body.rejected[0]! }));
    assert.ok(!check({ ...p, header: { ...p.header, finalRoot: sha256(Uint8Array.of(1)) } }));
    assert.ok(!check({ ...p, header: { ...p.header, height: 2 } }));
    assert.ok(!check({ ...p, sigs: p.sigs.slice(1) }));
    assert.ok(!check({ ...p, proof: { ...p.proof, index: 0 } }));
    assert.ok(!verifyFinalityProof(p, galaxies, [true, true, false]));
  });
  it('decoding rejects malformed proofs and never throws on mutations', () => {
    const p = finalityProofFor(block, block.body.accepted[2]!)!;
    const bytes = encodeFinalityProof(p);
    const bad = (q: FinalityProof) => assert.equal(decodeFinalityProof(encodeFinalityProof(q)).ok, false);
    bad({ ...p, leaf: new Uint8Array(31) });
    bad({ ...p, proof: { ...p.proof, index: 3 } });
    bad({ ...p, proof: { ...p.proof, count: 0 } });
    bad({ ...p, proof: { ...p.proof, siblings: [new Uint8Array(32).fill(1).subarray(1)] } });
    bad({ ...p, sigs: [p.sigs[0]!, p.sigs[0]!] });
    assert.equal(decodeFinalityProof(new Uint8Array(70_000)).ok, false);
    for (let i = 0; i < bytes.length; i++) {
      const m = bytes.slice();
      m[i]! ^= 0x41;
      const d = decodeFinalityProof(m);
      if (d.ok) assert.equal(toHex(encodeFinalityProof(d.value)), toHex(m));
    }
  });
});
