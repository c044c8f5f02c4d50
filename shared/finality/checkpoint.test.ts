import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import { ZERO_HASH } from '../chain/half-block.ts';
import { nextBlock } from '../chain/test-signer.ts';
import {
  certHasQuorum,
  certVerifyItems,
  checkpointHash,
  checkpointSigningBytes,
  blocksMatchEntries,
  decodeCheckpointCert,
  decodeProposal,
  encodeCheckpointCert,
  encodeProposal,
  MAX_CERT_BYTES,
  MAX_CHECKPOINT_BLOCKS,
  MAX_PROPOSAL_BLOCKS,
  mergeProposals,
  proposalCandidates,
  quorumSize,
  type CandidateBlock,
  type Checkpoint,
  type CheckpointCert,
} from './checkpoint.ts';
import { candidate, chain, nobleVerify, plain, testAccount, testKey } from './test-fixtures.ts';

const alice = testAccount(1);
const bob = testAccount(2);
const carol = testAccount(3);
const hashes = (cs: readonly CandidateBlock[]) => cs.map((c) => toHex(c.hash));

function sortedUnion(...lists: CandidateBlock[][]): CandidateBlock[] {
  return mergeProposals(lists);
}

function makeCert(blocks: CandidateBlock[], signers: number[], keys = [0, 1, 2, 3].map((i) => testKey(i))): { cert: CheckpointCert; keys: typeof keys } {
  const merged = mergeProposals([blocks]);
  const checkpoint: Checkpoint = {
    cluster: 0,
    round: 7,
    base: sha256(Uint8Array.of(1)),
    prev: ZERO_HASH,
    entries: merged.map((c) => c.hash),
  };
  const msg = checkpointSigningBytes(checkpointHash(checkpoint));
  return {
    cert: { checkpoint, blocks: merged.map((c) => c.bytes), sigs: signers.map((s) => ({ signer: s, sig: keys[s]!.sign(msg) })) },
    keys,
  };
}

function rejects(bytes: Uint8Array, pattern?: RegExp): void {
  const d = decodeCheckpointCert(bytes);
  assert.equal(d.ok, false, 'decoded unexpectedly');
  if (!d.ok && pattern) assert.match(d.reason, pattern);
}

describe('checkpoint hash and signing bytes', () => {
  const c: Checkpoint = { cluster: 0, round: 3, base: sha256(Uint8Array.of(1)), prev: ZERO_HASH, entries: [sha256(Uint8Array.of(2))] };
  it('changes with every field', () => {
    const h = toHex(checkpointHash(c));
    assert.equal(toHex(checkpointHash({ ...c, entries: [...c.entries] })), h);
    const variants: Checkpoint[] = [
      { ...c, cluster: 1 },
      { ...c, round: 4 },
      { ...c, base: sha256(Uint8Array.of(9)) },
      { ...c, prev: sha256(Uint8Array.of(9)) },
      { ...c, entries: [] },
      { ...c, entries: [...c.entries, sha256(Uint8Array.of(3))] },
    ];
    for (const v of variants) assert.notEqual(toHex(checkpointHash(v)), h);
  });
  it('signing bytes are domain-tagged', () => {
    const hash = checkpointHash(c);
    const bytes = checkpointSigningBytes(hash);
    assert.equal(new TextDecoder().decode(bytes.slice(0, bytes.length - 32)), 'starweave/checkpoint/1');
    assert.equal(toHex(bytes.slice(-32)), toHex(hash));
  });
});

describe('quorumSize', () => {
  it('is n − f and any two quorums overlap in an honest seat', () => {
    const table: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 5, 7: 5, 10: 7 };
    for (const [n, q] of Object.entries(table)) assert.equal(quorumSize(Number(n)), q, `n=${n}`);
    for (let n = 1; n <= 40; n++) {
      const f = Math.floor((n - 1) / 3);
      const q = quorumSize(n);
      assert.ok(q >= 2 * f + 1 && q <= n, `n=${n}`);
      assert.ok(2 * q - n >= f + 1, `n=${n}: two quorums overlap in ${2 * q - n} seats`);
    }
    assert.equal(quorumSize(0), 1, 'no seats: nothing can reach a quorum');
  });
});

describe('proposals', () => {
  const blocks = chain(alice, bob, 3).map((c) => c.bytes);
  it('round-trips', () => {
    const d = decodeProposal(encodeProposal(blocks));
    assert.ok(d.ok);
    assert.deepEqual(d.value.map(toHex), blocks.map(toHex));
    const empty = decodeProposal(encodeProposal([]));
    assert.ok(empty.ok && empty.value.length === 0);
  });
  it('rejects malformed proposals', () => {
    const bad = [
      encodeCanonical({ v: 2, blocks }),
      encodeCanonical({ blocks }),
      encodeCanonical({ v: 1, blocks, extra: 1 }),
      encodeCanonical({ v: 1, blocks: 'x' }),
      encodeCanonical({ v: 1, blocks: [new Uint8Array(0)] }),
      encodeCanonical({ v: 1, blocks: [new Uint8Array(1025)] }),
      encodeCanonical({ v: 1, blocks: [1] }),
      encodeCanonical({ v: 1, blocks: Array.from({ length: MAX_PROPOSAL_BLOCKS + 1 }, () => new Uint8Array(1)) }),
      encodeCanonical([blocks]),
      Uint8Array.of(0xff),
      new Uint8Array(0),
      // non-canonical: 1 as a two-byte integer
      Uint8Array.of(0xa2, 0x61, 0x76, 0x18, 0x01, 0x66, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0x73, 0x80),
    ];
    for (const b of bad) assert.equal(decodeProposal(b).ok, false);
    assert.equal(decodeProposal(new Uint8Array(2_000_000)).ok, false);
  });
  it('proposalCandidates decodes, hashes and skips undecodable entries', () => {
    const cs = chain(alice, bob, 2);
    const value = encodeProposal([cs[0]!.bytes, Uint8Array.of(1, 2, 3), cs[1]!.bytes]);
    assert.deepEqual(hashes(proposalCandidates(value)), hashes(cs));
    assert.deepEqual(proposalCandidates(Uint8Array.of(0xff)), []);
  });
});

describe('mergeProposals', () => {
  const a = chain(alice, bob, 3);
  const b = chain(bob, carol, 2);
  const c = chain(carol, alice, 1);
  it('dedupes and orders by (pk hex, seq)', () => {
    const merged = sortedUnion([a[2]!, b[1]!, a[0]!], [c[0]!, a[1]!, a[0]!, b[0]!], [a[2]!]);
    const expected = [...a, ...b, ...c].sort((x, y) => {
      const px = toHex(x.block.pk);
      const py = toHex(y.block.pk);
      return px !== py ? (px < py ? -1 : 1) : x.block.seq - y.block.seq;
    });
    assert.deepEqual(hashes(merged), hashes(expected));
    // the same result whatever the proposal order
    assert.deepEqual(hashes(sortedUnion([a[2]!], [c[0]!, a[1]!, b[0]!], [b[1]!, a[0]!])), hashes(expected));
    assert.deepEqual(mergeProposals([]), []);
    assert.deepEqual(mergeProposals([[], []]), []);
  });
  it('drops every block of a (pk, seq) that has two different blocks', () => {
    // alice's seq 2 exists twice: once to bob, once to carol (a double spend)
    const fork = candidate(nextBlock(alice, a[0]!.block, { linkPk: carol.pk, amount: 2 }));
    assert.equal(fork.block.seq, 2);
    assert.notEqual(toHex(fork.hash), toHex(a[1]!.hash));
    const merged = mergeProposals([[...a], [fork, ...b]]);
    const ids = new Set(hashes(merged));
    assert.ok(!ids.has(toHex(a[1]!.hash)) && !ids.has(toHex(fork.hash)), 'both conflicting blocks dropped');
    assert.ok(ids.has(toHex(a[0]!.hash)) && ids.has(toHex(a[2]!.hash)), 'the rest stays (the Galaxy rejects what follows a gap)');
    assert.equal(merged.length, 2 + b.length);
    // both in one proposal, too
    assert.equal(mergeProposals([[a[1]!, fork]]).length, 0);
    // three versions of the same slot
    const fork2 = candidate(nextBlock(alice, a[0]!.block, { linkPk: carol.pk, amount: 3 }));
    assert.deepEqual(hashes(mergeProposals([[a[1]!], [fork], [fork2], [a[0]!]])), hashes([a[0]!]));
  });
  it('caps at MAX_CHECKPOINT_BLOCKS, keeping the first in order', () => {
    const template = a[0]!;
    const many: CandidateBlock[] = Array.from({ length: MAX_CHECKPOINT_BLOCKS + 5 }, (_, i) => ({
      ...template,
      block: { ...template.block, seq: i + 1 },
      hash: sha256(Uint8Array.of(i >> 8, i & 255, 7)),
    }));
    const merged = mergeProposals([many.slice().reverse()]);
    assert.equal(merged.length, MAX_CHECKPOINT_BLOCKS);
    assert.equal(merged[0]!.block.seq, 1);
    assert.equal(merged.at(-1)!.block.seq, MAX_CHECKPOINT_BLOCKS);
  });
});

describe('checkpoint certificates', () => {
  const blocks = [...chain(alice, bob, 3), ...chain(bob, carol, 2, 'memo')];

  it('round-trip', () => {
    const { cert } = makeCert(blocks, [0, 2, 3]);
    const bytes = encodeCheckpointCert(cert);
    const d = decodeCheckpointCert(bytes);
    assert.ok(d.ok, d.ok ? '' : d.reason);
    assert.deepEqual(plain(d.value), plain(cert));
    assert.equal(toHex(encodeCheckpointCert(d.value)), toHex(bytes));
    const empty = makeCert([], []).cert;
    assert.deepEqual(plain((decodeCheckpointCert(encodeCheckpointCert(empty)) as { value: unknown }).value), plain(empty));
  });

  it('rejects malformed certificates', () => {
    const { cert } = makeCert(blocks, [0, 1, 2]);
    const cp = cert.checkpoint;
    const enc = (c: CheckpointCert) => encodeCheckpointCert(c);
    rejects(enc({ ...cert, blocks: cert.blocks.slice(1) }), /blocks for/);
    rejects(enc({ ...cert, checkpoint: { ...cp, entries: cp.entries.slice(1) } }), /blocks for/);
    rejects(enc({ ...cert, blocks: [cert.blocks[1]!, cert.blocks[0]!, ...cert.blocks.slice(2)] }), /hash/);
    rejects(
      enc({ ...cert, blocks: [cert.blocks[1]!, cert.blocks[0]!, ...cert.blocks.slice(2)], checkpoint: { ...cp, entries: [cp.entries[1]!, cp.entries[0]!, ...cp.entries.slice(2)] } }),
      /order/,
    );
    const junk = Uint8Array.of(1, 2, 3);
    rejects(enc({ ...cert, blocks: [junk], checkpoint: { ...cp, entries: [sha256(junk)] } }), /block 0/);
    // the same block twice
    rejects(enc({ ...cert, blocks: [cert.blocks[0]!, cert.blocks[0]!], checkpoint: { ...cp, entries: [cp.entries[0]!, cp.entries[0]!] } }), /order/);
    rejects(enc({ ...cert, sigs: [cert.sigs[0]!, cert.sigs[0]!] }), /twice/);
    rejects(enc({ ...cert, sigs: [{ signer: 0, sig: new Uint8Array(63) }] }), /64 bytes/);
    rejects(enc({ ...cert, sigs: [{ signer: 256, sig: new Uint8Array(64) }] }), /signer/);
    rejects(enc({ ...cert, sigs: [{ signer: -1, sig: new Uint8Array(64) }] }), /signer/);
    rejects(enc({ ...cert, checkpoint: { ...cp, round: 0 } }), /round/);
    rejects(enc({ ...cert, checkpoint: { ...cp, round: 1.5 } }), /round/);
    rejects(enc({ ...cert, checkpoint: { ...cp, cluster: -1 } }), /cluster/);
    rejects(enc({ ...cert, checkpoint: { ...cp, base: new Uint8Array(31) } }), /base/);
    rejects(enc({ ...cert, checkpoint: { ...cp, prev: new Uint8Array(33) } }), /prev/);
    const raw = { v: 1, checkpoint: { cluster: 0, round: 7, base: cp.base, prev: cp.prev, entries: cp.entries }, blocks: cert.blocks, sigs: [] };
    assert.ok(decodeCheckpointCert(encodeCanonical(raw)).ok, 'the raw shape itself is valid');
    rejects(encodeCanonical({ ...raw, v: 2 }), /version/);
    rejects(encodeCanonical({ ...raw, extra: true }));
    rejects(encodeCanonical({ ...raw, checkpoint: { ...raw.checkpoint, extra: 1 } }));
    rejects(encodeCanonical({ ...raw, sigs: [{ signer: 0, sig: new Uint8Array(64), x: 1 }] }));
    rejects(encodeCanonical({ ...raw, sigs: {} }));
    rejects(encodeCanonical({ ...raw, blocks: cert.blocks.map(() => 'x') }));
    rejects(encodeCanonical([raw]));
    rejects(new Uint8Array(MAX_CERT_BYTES + 1), /too large/);
    const tooMany = Array.from({ length: MAX_CHECKPOINT_BLOCKS + 1 }, () => cp.entries[0]!);
    rejects(encodeCanonical({ ...raw, checkpoint: { ...raw.checkpoint, entries: tooMany } }), /entries/);
  });

  it('another copy of a checked certificate decodes; a copy with the same entries and other block bytes is still refused', () => {
    const first = makeCert(blocks, [0, 1, 2]).cert;
    const second = makeCert(blocks, [1, 2, 3]).cert;
    assert.ok(decodeCheckpointCert(encodeCheckpointCert(first)).ok);
    const d = decodeCheckpointCert(encodeCheckpointCert(second));
    assert.ok(d.ok && blocksMatchEntries(d.value), 'the other seats\' copy is as good');
    assert.deepEqual(plain(d.value), plain(second));
    // same round, cluster and entries as the one checked, one block swapped for another
    const other = chain(carol, alice, 1)[0]!.bytes;
    rejects(encodeCheckpointCert({ ...second, blocks: [other, ...second.blocks.slice(1)] }), /hash/);
    rejects(encodeCheckpointCert({ ...second, blocks: [second.blocks[1]!, second.blocks[0]!, ...second.blocks.slice(2)] }), /hash/);
  });

  it('one-byte mutations never throw and never decode to the same certificate', () => {
    const { cert } = makeCert(blocks.slice(0, 2), [1]);
    const bytes = encodeCheckpointCert(cert);
    let decoded = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const x of [0x01, 0x20, 0x80, 0xff]) {
        const m = bytes.slice();
        m[i]! ^= x;
        const d = decodeCheckpointCert(m);
        if (d.ok) {
          decoded++;
          // canonical decoding: the value re-encodes to the mutated bytes, so it differs from cert
          assert.equal(toHex(encodeCheckpointCert(d.value)), toHex(m));
        }
      }
    }
    // only the signature bytes (and the signer number) can change without breaking a hash link
    assert.ok(decoded > 0 && decoded < bytes.length);
  });

  it('quorum: distinct seats with valid signatures, aligned verdicts', () => {
    const { cert, keys } = makeCert(blocks, [0, 1, 3]);
    const facilitators = keys.map((k) => k.pk);
    const items = certVerifyItems(cert, facilitators);
    assert.equal(items.length, 3);
    const verdicts = items.map(nobleVerify);
    assert.deepEqual(verdicts, [true, true, true]);
    assert.ok(certHasQuorum(cert, facilitators, verdicts));
    // one invalid verdict: 2 < 3
    assert.ok(!certHasQuorum(cert, facilitators, [true, false, true]));
    assert.ok(!certHasQuorum(cert, facilitators, [true, true]), 'missing verdicts count as invalid');
    // a seat repeated does not count twice
    const dup: CheckpointCert = { ...cert, sigs: [cert.sigs[0]!, cert.sigs[1]!, cert.sigs[0]!] };
    const dupVerdicts = certVerifyItems(dup, facilitators).map(nobleVerify);
    assert.deepEqual(dupVerdicts, [true, true, true]);
    assert.ok(!certHasQuorum(dup, facilitators, dupVerdicts));
    // a signature by the wrong seat is invalid
    const swapped: CheckpointCert = { ...cert, sigs: [{ signer: 2, sig: cert.sigs[0]!.sig }, cert.sigs[1]!, cert.sigs[2]!] };
    const swappedVerdicts = certVerifyItems(swapped, facilitators).map(nobleVerify);
    assert.deepEqual(swappedVerdicts, [false, true, true]);
    assert.ok(!certHasQuorum(swapped, facilitators, swappedVerdicts));
    // out-of-range seats are skipped in the items and in the count, keeping alignment
    const outOfRange: CheckpointCert = { ...cert, sigs: [{ signer: 9, sig: cert.sigs[0]!.sig }, ...cert.sigs] };
    const oorItems = certVerifyItems(outOfRange, facilitators);
    assert.equal(oorItems.length, 3);
    assert.ok(certHasQuorum(outOfRange, facilitators, oorItems.map(nobleVerify)));
    // signatures on another checkpoint do not verify
    const other: CheckpointCert = { ...cert, checkpoint: { ...cert.checkpoint, round: 8 } };
    assert.ok(!certHasQuorum(other, facilitators, certVerifyItems(other, facilitators).map(nobleVerify)));
    // one seat alone is a quorum of one; no seats never are
    const solo = makeCert(blocks, [0]);
    assert.ok(certHasQuorum(solo.cert, [solo.keys[0]!.pk], certVerifyItems(solo.cert, [solo.keys[0]!.pk]).map(nobleVerify)));
    assert.ok(!certHasQuorum(solo.cert, [], []));
  });
});
