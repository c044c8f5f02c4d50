import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { seededCoin } from './coin.ts';
import { simulateAcs, type Behaviour, type SimResult } from './simulator.ts';
import { CommonSubset, type Contribution } from './subset.ts';
import { paramsFor } from './types.ts';

const proposal = (i: number): string => bytesToHex(new TextEncoder().encode(`proposal ${i}`));
const key = (set: Contribution[] | undefined): string =>
  set === undefined ? 'none' : set.map((c) => `${c.proposer}:${bytesToHex(c.value)}`).join(',');

function faultyFirst(n: number, behaviour: Behaviour): Behaviour[] {
  const f = paramsFor(n).f;
  return Array.from({ length: n }, (_, i) => (i < f ? behaviour : 'honest'));
}

/** The ACS properties every run must have, whatever the faulty nodes do. */
function assertAcs(r: SimResult<Contribution[]>, n: number, label: string): Contribution[] {
  const { f } = paramsFor(n);
  assert.ok(r.allHonestOutput, `${label}: not every honest node output within the step budget`);
  const sets = new Set(r.honest.map((i) => key(r.outputs[i])));
  assert.equal(sets.size, 1, `${label}: honest outputs differ: ${[...sets].join(' | ')}`);
  const set = r.outputs[r.honest[0]!]!;
  assert.ok(set.length >= n - f, `${label}: only ${set.length} proposals`);
  const proposers = set.map((c) => c.proposer);
  assert.deepEqual(proposers, [...proposers].sort((a, b) => a - b), `${label}: not ordered by proposer`);
  assert.equal(new Set(proposers).size, proposers.length, `${label}: duplicate proposer`);
  // An honest proposer's entry, if present, is exactly what it proposed.
  for (const c of set) if (r.honest.includes(c.proposer)) assert.equal(bytesToHex(c.value), proposal(c.proposer), label);
  for (const fault of r.faults) assert.ok(!r.honest.includes(fault.node), `${label}: honest node blamed: ${fault.reason}`);
  return set;
}

const SEEDS = 50;

describe('asynchronous common subset', () => {
  for (const n of [4, 7]) {
    for (const behaviour of ['honest', 'silent', 'equivocate', 'delay'] as const) {
      const label = behaviour === 'honest' ? 'no faulty nodes' : `f ${behaviour} nodes`;
      it(`n=${n}, ${label}, ${SEEDS} seeds with 10% loss: identical outputs, ≥ n−f proposals, all honest nodes finish`, () => {
        for (let seed = 1; seed <= SEEDS; seed++) {
          const r = simulateAcs({ n, seed, behaviours: faultyFirst(n, behaviour), loss: 0.1, maxSteps: 200_000 });
          const set = assertAcs(r, n, `n=${n} ${behaviour} seed ${seed}`);
          if (behaviour === 'silent') {
            // Silent proposers never deliver, so the ≥ n−f entries are exactly the honest ones.
            assert.deepEqual(set.map((c) => c.proposer), r.honest, `seed ${seed}`);
          }
        }
      });
    }

    it(`n=${n}, fair network (equal latency, no loss, no faults): every proposal is in`, () => {
      // With equal latencies every RBC delivers at every node before any BA can decide, so
      // every node inputs 1 everywhere and validity makes every BA decide 1.
      for (let seed = 1; seed <= 10; seed++) {
        const r = simulateAcs({ n, seed, latency: [10, 10] });
        const set = assertAcs(r, n, `seed ${seed}`);
        assert.equal(set.length, n);
      }
    });
  }

  it('a single node outputs its own proposal', () => {
    const acs = new CommonSubset(paramsFor(1), 0, (j) => seededCoin(new Uint8Array(1), j));
    const step = acs.propose(new Uint8Array([7]));
    assert.deepEqual(step.output, [{ proposer: 0, value: new Uint8Array([7]) }]);
  });

  it('rejects malformed envelopes as faults', () => {
    const acs = new CommonSubset(paramsFor(4), 0, (j) => seededCoin(new Uint8Array(1), j));
    assert.match(acs.handle(1, { kind: 'rbc', instance: 9, message: { t: 'ready', digest: new Uint8Array(32) } }).faults[0]!.reason, /malformed/);
    assert.match(acs.handle(1, { kind: 'x', instance: 1 } as never).faults[0]!.reason, /unknown/);
    assert.match(acs.handle(1, { kind: 'ba', instance: 1, message: { t: 'aux' } as never }).faults[0]!.reason, /\[ba 1\] ba: malformed/);
  });
});
