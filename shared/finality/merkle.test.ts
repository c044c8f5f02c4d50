import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { EMPTY_MERKLE_ROOT, innerHash, leafHash, merkleProof, merkleRoot, verifyMerkleProof, type MerkleProof } from './merkle.ts';

const leaf = (i: number) => sha256(Uint8Array.of(0xaa, i));
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leaf(i));

/** The spec, written out independently of merkle.ts (byte concatenation, no helpers). */
function referenceRoot(ls: Uint8Array[]): Uint8Array {
  if (ls.length === 0) return sha256(Uint8Array.of(2));
  let level: Uint8Array[] = ls.map((l) => sha256(Uint8Array.of(0, ...l)));
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      up.push(i + 1 < level.length ? sha256(Uint8Array.of(1, ...level[i]!, ...level[i + 1]!)) : level[i]!);
    }
    level = up;
  }
  return level[0]!;
}

describe('merkle', () => {
  it('empty root is sha256(0x02); one leaf is its leaf hash', () => {
    assert.equal(toHex(merkleRoot([])), toHex(sha256(Uint8Array.of(2))));
    assert.equal(toHex(EMPTY_MERKLE_ROOT), toHex(merkleRoot([])));
    assert.equal(toHex(merkleRoot([leaf(0)])), toHex(leafHash(leaf(0))));
    assert.equal(toHex(merkleRoot([leaf(0), leaf(1), leaf(2)])), toHex(innerHash(innerHash(leafHash(leaf(0)), leafHash(leaf(1))), leafHash(leaf(2)))));
  });

  it('roots match the reference for counts 0..17 and differ between counts', () => {
    const seen = new Set<string>();
    for (let n = 0; n <= 17; n++) {
      const root = toHex(merkleRoot(leaves(n)));
      assert.equal(root, toHex(referenceRoot(leaves(n))), `n=${n}`);
      assert.ok(!seen.has(root), `n=${n} collides`);
      seen.add(root);
    }
  });

  it('every index of counts 1..17 has a proof that verifies, and only for its own leaf', () => {
    for (let n = 1; n <= 17; n++) {
      const ls = leaves(n);
      const root = merkleRoot(ls);
      for (let i = 0; i < n; i++) {
        const p = merkleProof(ls, i);
        assert.ok(verifyMerkleProof(ls[i]!, p, root), `n=${n} i=${i}`);
        assert.ok(p.siblings.length <= Math.ceil(Math.log2(n)), `n=${n} i=${i} proof too long`);
        if (n > 1) assert.ok(!verifyMerkleProof(ls[(i + 1) % n]!, p, root), `n=${n} i=${i} wrong leaf`);
        assert.ok(!verifyMerkleProof(ls[i]!, p, merkleRoot(leaves(n + 1))), `n=${n} i=${i} wrong root`);
      }
    }
  });

  it('tampered proofs fail', () => {
    for (let n = 1; n <= 17; n++) {
      const ls = leaves(n);
      const root = merkleRoot(ls);
      for (let i = 0; i < n; i++) {
        const p = merkleProof(ls, i);
        const variants: MerkleProof[] = [
          { ...p, index: (i + 1) % (n + 1) },
          { ...p, count: n + 1 },
          { ...p, count: n - 1 },
          { ...p, index: -1 },
          { ...p, index: n },
          { ...p, index: 0.5 },
          { ...p, count: Number.NaN },
          { ...p, siblings: [...p.siblings, leaf(99)] },
          { ...p, siblings: p.siblings.slice(1) },
          { ...p, siblings: [...p.siblings].reverse() },
          { ...p, siblings: p.siblings.map((s) => s.slice(0, 31)) },
        ];
        for (let s = 0; s < p.siblings.length; s++) {
          const siblings = p.siblings.map((x) => x.slice());
          siblings[s]![0]! ^= 1;
          variants.push({ ...p, siblings });
        }
        for (const [k, v] of variants.entries()) {
          // The count is only a shape hint (the root does not commit to it): a changed count
          // may still verify when the path is the same. What must never pass is another
          // position or any changed sibling.
          if (!verifyMerkleProof(ls[i]!, v, root)) continue;
          const sameSiblings = v.siblings.length === p.siblings.length && v.siblings.every((s, j) => toHex(s) === toHex(p.siblings[j]!));
          assert.ok(sameSiblings && v.index === i, `n=${n} i=${i} variant ${k} passed`);
        }
        const bad = ls[i]!.slice();
        bad[31]! ^= 1;
        assert.ok(!verifyMerkleProof(bad, p, root));
      }
    }
  });

  it('leaf and inner nodes are domain-separated: an inner node cannot pass as a leaf', () => {
    const ls = leaves(4);
    const root = merkleRoot(ls);
    const left = innerHash(leafHash(ls[0]!), leafHash(ls[1]!));
    const right = innerHash(leafHash(ls[2]!), leafHash(ls[3]!));
    // As a 2-leaf tree, (left, right) would give the same root without domain separation.
    assert.ok(!verifyMerkleProof(left, { index: 0, count: 2, siblings: [right] }, root));
    assert.notEqual(toHex(merkleRoot([left, right])), toHex(root));
    // The 64-byte concatenation of two leaf hashes as one leaf does not collide with their parent either.
    const concat = new Uint8Array([...leafHash(ls[0]!), ...leafHash(ls[1]!)]);
    assert.notEqual(toHex(leafHash(concat)), toHex(left));
  });

  it('merkleProof rejects indexes out of range', () => {
    assert.throws(() => merkleProof([], 0), RangeError);
    assert.throws(() => merkleProof(leaves(3), 3), RangeError);
    assert.throws(() => merkleProof(leaves(3), -1), RangeError);
  });

  it('verify never throws on junk', () => {
    const root = merkleRoot(leaves(5));
    const junk = [
      { index: 0, count: 1, siblings: null },
      { index: '0', count: 1, siblings: [] },
      { index: 0, count: 2 ** 60, siblings: [] },
      { index: 0, count: 2, siblings: ['x'] },
    ] as unknown as MerkleProof[];
    for (const p of junk) assert.equal(verifyMerkleProof(leaf(0), p, root), false);
  });

  it('large indexes use arithmetic, not 32-bit bit operators', () => {
    // A fake proof for a tree of 2^33 leaves: only its consistency (sibling count) matters here.
    const count = 2 ** 33;
    const index = 2 ** 32 + 5;
    const siblings = Array.from({ length: 33 }, (_, k) => leaf(k));
    let node = leafHash(leaf(0));
    let i = index;
    for (const s of siblings) {
      node = i % 2 === 1 ? innerHash(s, node) : innerHash(node, s);
      i = Math.floor(i / 2);
    }
    assert.ok(verifyMerkleProof(leaf(0), { index, count, siblings }, node));
  });
});
