import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { seededRng } from '../consensus/prng.ts';
import type { Contribution } from '../consensus/subset.ts';
import type { Fault } from '../consensus/types.ts';
import { AgreementRound, type RoundStep } from './agreement-round.ts';
import { quorumSize } from './checkpoint.ts';
import { nobleVerify, testKey, type TestKey } from './test-fixtures.ts';
import { decodeEnvelope, encodeEnvelope, type RoundMessage } from './wire.ts';

const SIGN_DOMAIN = new TextEncoder().encode('test/value/');
const signing = (hash: Uint8Array) => new Uint8Array([...SIGN_DOMAIN, ...hash]);

/** The value every honest seat builds from the ACS output (a stand-in for mergeProposals). */
function valueHash(contributions: Contribution[]): Uint8Array {
  const parts = contributions.map((c) => `${c.proposer}:${toHex(c.value)}`).join('|');
  return sha256(new TextEncoder().encode(parts));
}

type Behaviour = 'honest' | 'silent' | 'wrong-hash' | 'two-shares';

interface Run {
  decided: Array<Contribution[] | undefined>;
  certified: Array<RoundStep['certified']>;
  faults: Fault[][];
  /** every share any seat sent, by hash: to check that no second certificate is possible */
  sharesByHash: Map<string, Set<number>>;
}

/**
 * n seats in one process: every message goes through the wire encoding (one envelope per
 * step) and is delivered in an order drawn from `seed`; share signatures are checked before
 * the core sees them, as the adapters do.
 */
function run(n: number, behaviours: Behaviour[], seed: number): Run {
  const rng = seededRng(seed);
  const keys: TestKey[] = Array.from({ length: n }, (_, i) => testKey(100 + i));
  const coinSeed = sha256(Uint8Array.of(seed & 255, seed >> 8));
  const rounds = Array.from({ length: n }, (_, me) => new AgreementRound({ seats: n, me, seed: coinSeed }));
  const out: Run = { decided: [], certified: [], faults: rounds.map(() => []), sharesByHash: new Map() };
  const queue: Array<{ from: number; to: number; bytes: Uint8Array }> = [];

  const absorb = (me: number, step: RoundStep): void => {
    out.faults[me]!.push(...step.faults);
    if (step.certified) {
      assert.equal(out.certified[me], undefined, `seat ${me} certified twice`);
      out.certified[me] = step.certified;
    }
    if (behaviours[me] === 'silent') return;
    if (step.messages.length > 0) {
      const items = step.messages.map(({ to, message }) => ({ to: to === 'all' ? -1 : to, m: message }));
      const bytes = encodeEnvelope({ kind: 'round', instance: 1, cluster: 0, from: keys[me]!.pk, items, sig: new Uint8Array(64) });
      for (let to = 0; to < n; to++) if (to !== me) queue.push({ from: me, to, bytes });
    }
    for (const { message } of step.messages) {
      if (message.t === 'share') {
        const id = toHex(message.hash);
        if (!out.sharesByHash.has(id)) out.sharesByHash.set(id, new Set());
        out.sharesByHash.get(id)!.add(me);
      }
    }
    if (step.decided) {
      assert.equal(out.decided[me], undefined, `seat ${me} decided twice`);
      out.decided[me] = step.decided;
      let hash = valueHash(step.decided);
      if (behaviours[me] === 'wrong-hash') hash = sha256(Uint8Array.of(0xee, me));
      absorb(me, rounds[me]!.decide(hash, keys[me]!.sign(signing(hash))));
      if (behaviours[me] === 'two-shares') {
        // a second, different share straight onto the wire (the core refuses to sign twice)
        const other = sha256(Uint8Array.of(0xdd, me));
        const m: RoundMessage = { t: 'share', hash: other, sig: keys[me]!.sign(signing(other)) };
        const bytes = encodeEnvelope({ kind: 'round', instance: 1, cluster: 0, from: keys[me]!.pk, items: [{ to: -1, m }], sig: new Uint8Array(64) });
        for (let to = 0; to < n; to++) if (to !== me) queue.push({ from: me, to, bytes });
        if (!out.sharesByHash.has(toHex(other))) out.sharesByHash.set(toHex(other), new Set());
        out.sharesByHash.get(toHex(other))!.add(me);
      }
    }
  };

  for (let me = 0; me < n; me++) {
    if (behaviours[me] !== 'silent') absorb(me, rounds[me]!.propose(new TextEncoder().encode(`proposal of ${me}`)));
  }
  let delivered = 0;
  while (queue.length > 0) {
    assert.ok(++delivered < 200_000, 'no quiescence');
    const [{ from, to, bytes }] = queue.splice(rng.int(0, queue.length - 1), 1) as [{ from: number; to: number; bytes: Uint8Array }];
    const env = decodeEnvelope(bytes);
    assert.ok(env.ok, env.ok ? '' : env.reason);
    for (const item of env.value.items) {
      if (item.to !== -1 && item.to !== to) continue;
      if (item.m.t === 'share' && !nobleVerify({ pk: keys[from]!.pk, message: signing(item.m.hash), sig: item.m.sig })) continue;
      absorb(to, rounds[to]!.handle(from, item.m));
    }
  }
  return out;
}

const SEEDS = 12;

function assertAgreement(r: Run, n: number, behaviours: Behaviour[], label: string): string {
  const honest = behaviours.map((b, i) => (b === 'honest' ? i : -1)).filter((i) => i >= 0);
  const decidedSets = new Set(honest.map((i) => JSON.stringify(r.decided[i]?.map((c) => [c.proposer, toHex(c.value)]))));
  assert.equal(decidedSets.size, 1, `${label}: honest seats decided differently`);
  const decided = r.decided[honest[0]!];
  assert.ok(decided, `${label}: nothing decided`);
  assert.ok(decided.length >= n - Math.floor((n - 1) / 3), `${label}: only ${decided.length} contributions`);
  const hashes = new Set(honest.map((i) => (r.certified[i] ? toHex(r.certified[i]!.hash) : 'none')));
  assert.equal(hashes.size, 1, `${label}: honest seats certified ${[...hashes].join(', ')}`);
  const hash = [...hashes][0]!;
  assert.equal(hash, toHex(valueHash(decided)), `${label}: certified something else than the value`);
  for (const i of honest) {
    const cert = r.certified[i]!;
    assert.ok(cert.sigs.length >= quorumSize(n), label);
    const signers = cert.sigs.map((s) => s.signer);
    assert.deepEqual(signers, [...new Set(signers)].sort((a, b) => a - b), `${label}: sigs not sorted by signer / repeated`);
    for (const s of cert.sigs) assert.ok(nobleVerify({ pk: testKey(100 + s.signer).pk, message: signing(cert.hash), sig: s.sig }), label);
  }
  // no other hash can reach a quorum of shares
  for (const [h, signers] of r.sharesByHash) if (h !== hash) assert.ok(signers.size < quorumSize(n), `${label}: second quorum on ${h}`);
  for (const i of honest) for (const f of r.faults[i]!) assert.ok(behaviours[f.node] !== 'honest', `${label}: honest seat ${f.node} blamed: ${f.reason}`);
  return hash;
}

describe('AgreementRound', () => {
  it('n=4, all honest: every seat decides the same contributions and certifies the same hash', () => {
    const behaviours: Behaviour[] = ['honest', 'honest', 'honest', 'honest'];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = run(4, behaviours, seed);
      assertAgreement(r, 4, behaviours, `seed ${seed}`);
      // ACS promises n − f contributions (assertAgreement), not n: under a random delivery
      // order the last proposal can lose its agreement before its broadcast completes
    }
  });

  it('n=4 with one silent seat still decides and certifies', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const behaviours: Behaviour[] = ['honest', 'honest', 'honest', 'honest'];
      behaviours[seed % 4] = 'silent';
      const r = run(4, behaviours, seed);
      assertAgreement(r, 4, behaviours, `seed ${seed} silent ${seed % 4}`);
      assert.ok(r.decided[(seed + 1) % 4]!.every((c) => c.proposer !== seed % 4));
    }
  });

  it('a seat signing a different hash cannot make a second certificate and is reported', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const behaviours: Behaviour[] = ['honest', 'honest', 'honest', 'honest'];
      const bad = seed % 4;
      behaviours[bad] = 'wrong-hash';
      const r = run(4, behaviours, seed);
      const hash = assertAgreement(r, 4, behaviours, `seed ${seed}`);
      assert.notEqual(r.certified[bad] ? toHex(r.certified[bad]!.hash) : 'none', hash);
      assert.equal(r.certified[bad], undefined, 'the lone wrong hash never gathers a quorum');
      for (let i = 0; i < 4; i++) {
        if (i === bad) continue;
        assert.ok(r.faults[i]!.some((f) => f.node === bad && /hash/.test(f.reason)), `seat ${i} did not report seat ${bad}`);
        assert.ok(r.certified[i]!.sigs.every((s) => s.signer !== bad));
      }
    }
  });

  it('a seat sending two different shares counts once and is reported', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const behaviours: Behaviour[] = ['honest', 'honest', 'honest', 'two-shares'];
      const r = run(4, behaviours, seed);
      assertAgreement(r, 4, behaviours, `seed ${seed}`);
      for (let i = 0; i < 3; i++) assert.ok(r.faults[i]!.some((f) => f.node === 3), `seat ${i} did not report seat 3`);
    }
  });

  it('n=7 with two silent seats, and n=1, 2, 3', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const behaviours: Behaviour[] = ['honest', 'silent', 'honest', 'honest', 'honest', 'silent', 'honest'];
      assertAgreement(run(7, behaviours, seed), 7, behaviours, `n=7 seed ${seed}`);
    }
    for (const n of [1, 2, 3]) {
      const behaviours: Behaviour[] = Array.from({ length: n }, () => 'honest');
      const r = run(n, behaviours, n);
      assertAgreement(r, n, behaviours, `n=${n}`);
      assert.equal(r.decided[0]!.length, n);
    }
  });

  it('keeps shares that arrive before decide; ignores repeats, our own echo and seats out of range', () => {
    const round = new AgreementRound({ seats: 4, me: 0, seed: new Uint8Array(32) });
    const hash = sha256(Uint8Array.of(1));
    const share = (b: number): RoundMessage => ({ t: 'share', hash, sig: new Uint8Array(64).fill(b) });
    assert.equal(round.handle(1, share(1)).certified, undefined);
    assert.equal(round.handle(1, share(1)).faults.length, 0, 'a repeat is harmless');
    assert.equal(round.handle(4, share(4)).certified, undefined);
    assert.equal(round.handle(-1, share(4)).faults.length, 0);
    assert.equal(round.handle(0, share(0)).certified, undefined, 'our own share comes from decide, not the network');
    const other = round.handle(2, { t: 'share', hash: sha256(Uint8Array.of(2)), sig: new Uint8Array(64) });
    assert.equal(other.certified, undefined);
    assert.equal(round.handle(2, share(2)).faults.length, 1, 'seat 2 now signs two hashes');
    // 1 (kept) + ours = 2 < 3
    const step = round.decide(hash, new Uint8Array(64).fill(0));
    assert.deepEqual(step.messages.map((m) => m.to), ['all']);
    assert.equal(step.certified, undefined);
    assert.ok(step.faults.some((f) => f.node === 2), 'the early share on another hash is reported at decide');
    const done = round.handle(3, share(3));
    assert.ok(done.certified);
    assert.deepEqual(done.certified.sigs.map((s) => s.signer), [0, 1, 3]);
    assert.equal(toHex(done.certified.hash), toHex(hash));
    assert.equal(round.handle(2, share(2)).certified, undefined, 'certified once');
    assert.equal(round.decide(sha256(Uint8Array.of(9)), new Uint8Array(64)).messages.length, 0, 'decide once');
  });

  it('proposes once and refuses a seat out of range', () => {
    const round = new AgreementRound({ seats: 4, me: 1, seed: new Uint8Array(32) });
    assert.equal(round.proposed, false);
    const first = round.propose(Uint8Array.of(1));
    assert.ok(first.messages.length > 0);
    assert.ok(first.messages.every((m) => m.message.t === 'acs'));
    assert.equal(round.proposed, true);
    assert.equal(round.propose(Uint8Array.of(2)).messages.length, 0);
    assert.throws(() => new AgreementRound({ seats: 4, me: 4, seed: new Uint8Array(32) }), RangeError);
    assert.throws(() => new AgreementRound({ seats: 0, me: 0, seed: new Uint8Array(32) }), RangeError);
    const junk = round.handle(0, null as unknown as RoundMessage);
    assert.equal(junk.faults.length, 1);
  });
});
