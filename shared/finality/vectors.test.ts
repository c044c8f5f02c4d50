/**
 * Pins the finality encodings and hashes (shared/finality/finality.vectors.json): a change to
 * any of them is a network-breaking change and must be deliberate.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex } from '../codec/hex.ts';
import { blackholeHash, decodeBlackhole, encodeBlackhole, genesisBlackhole } from './blackhole.ts';
import { checkpointHash } from './checkpoint.ts';
import { selectFacilitators } from './facilitators.ts';
import { merkleRoot } from './merkle.ts';
import { decodeEnvelope, encodeEnvelope } from './wire.ts';

const vectors = JSON.parse(readFileSync(new URL('./finality.vectors.json', import.meta.url), 'utf8')) as {
  merkleRoots: string[];
  genesis: { network: string; galaxies: string[]; balances: Record<string, number>; hash: string; encoded: string };
  checkpoint: { cluster: number; round: number; prev: string; entries: string[]; hash: string };
  facilitators: { prevHash: string; roster: string[]; seats: string[] };
  envelope: { encoded: string };
};
const h = (b: number) => sha256(Uint8Array.of(b));
const bytes = (hex: string) => fromHex(hex)!;

describe('finality vectors', () => {
  it('merkle roots', () => {
    vectors.merkleRoots.forEach((root, n) => assert.equal(toHex(merkleRoot(Array.from({ length: n }, (_, i) => h(i)))), root, `n=${n}`));
  });
  it('genesis block', () => {
    const g = genesisBlackhole(vectors.genesis.network, vectors.genesis.galaxies.map(bytes), new Map(Object.entries(vectors.genesis.balances)));
    assert.equal(toHex(blackholeHash(g.header)), vectors.genesis.hash);
    assert.equal(toHex(encodeBlackhole(g)), vectors.genesis.encoded);
    const d = decodeBlackhole(bytes(vectors.genesis.encoded));
    assert.ok(d.ok && toHex(blackholeHash(d.value.header)) === vectors.genesis.hash);
  });
  it('checkpoint hash', () => {
    const c = vectors.checkpoint;
    const cp = { cluster: c.cluster, round: c.round, base: bytes(vectors.genesis.hash), prev: bytes(c.prev), entries: c.entries.map(bytes) };
    assert.equal(toHex(checkpointHash(cp)), c.hash);
  });
  it('facilitator selection', () => {
    const f = vectors.facilitators;
    assert.deepEqual(selectFacilitators(bytes(f.prevHash), f.roster.map(bytes)).map(toHex), f.seats);
  });
  it('envelope', () => {
    const d = decodeEnvelope(bytes(vectors.envelope.encoded));
    assert.ok(d.ok);
    assert.equal(toHex(encodeEnvelope(d.value)), vectors.envelope.encoded);
    assert.deepEqual(d.value.items.map((i) => [i.to, i.m.t]), [[-1, 'share'], [2, 'acs']]);
  });
});
