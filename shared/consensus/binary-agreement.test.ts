import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BinaryAgreement, type BaMessage } from './binary-agreement.ts';
import { seededCoin, type Coin } from './coin.ts';
import { corruptBa } from './byzantine.ts';
import { lockStepDelays, simulate, type Behaviour } from './simulator.ts';
import { paramsFor } from './types.ts';

function runBa(n: number, inputs: boolean[], behaviours: Behaviour[], seed: number) {
  const params = paramsFor(n);
  const seedBytes = new Uint8Array([seed & 255, seed >> 8]);
  return simulate<BaMessage, boolean>({
    n,
    seed,
    behaviours,
    create: (me) => {
      const ba = new BinaryAgreement(params, me, seededCoin(seedBytes, 0));
      return { start: () => ba.input(inputs[me]!), handle: (from, m) => ba.handle(from, m) };
    },
    corrupt: corruptBa,
    kindOf: (m) => `ba.${m.t}`,
  });
}

function faultyFirst(n: number, behaviour: Behaviour): Behaviour[] {
  const f = paramsFor(n).f;
  return Array.from({ length: n }, (_, i) => (i < f ? behaviour : 'honest'));
}

const SEEDS = 40;

describe('binary agreement (MMR with TERM)', () => {
  for (const n of [4, 7]) {
    for (const behaviour of ['honest', 'silent', 'equivocate', 'delay'] as const) {
      const label = behaviour === 'honest' ? 'no faulty nodes' : `f ${behaviour} nodes`;

      it(`n=${n}, ${label}: validity — all honest input b ⇒ every honest node decides b`, () => {
        for (const b of [false, true]) {
          for (let seed = 1; seed <= SEEDS; seed++) {
            // faulty nodes input ¬b: they must not be able to drag the decision away
            const behaviours = faultyFirst(n, behaviour);
            const inputs = behaviours.map((x) => (x === 'honest' ? b : !b));
            const r = runBa(n, inputs, behaviours, seed);
            assert.ok(r.allHonestOutput, `b=${b} seed ${seed}: did not terminate`);
            for (const i of r.honest) assert.equal(r.outputs[i], b, `b=${b} seed ${seed} node ${i}`);
          }
        }
      });

      it(`n=${n}, ${label}: agreement and termination with mixed inputs`, () => {
        const decided = new Set<boolean>();
        for (let seed = 1; seed <= SEEDS * 2; seed++) {
          const inputs = Array.from({ length: n }, (_, i) => ((seed >> i) & 1) === 1);
          const r = runBa(n, inputs, faultyFirst(n, behaviour), seed);
          assert.ok(r.allHonestOutput, `seed ${seed}: did not terminate`);
          const outs = new Set(r.honest.map((i) => r.outputs[i]));
          assert.equal(outs.size, 1, `seed ${seed}: honest nodes disagree`);
          decided.add(r.outputs[r.honest[0]!]!);
          for (const fault of r.faults) assert.ok(!r.honest.includes(fault.node), `honest node blamed: ${fault.reason}`);
        }
        assert.equal(decided.size, 2, 'both outcomes occur over the seeds');
      });
    }
  }

  it('all honest, input 1, coin 1: decides after two message delays (BVAL, then AUX; no CONF step)', () => {
    const nodes = Array.from({ length: 4 }, (_, me) => new BinaryAgreement(paramsFor(4), me, seededCoin(new Uint8Array(1), 0)));
    const first = nodes.map((ba, from) => ({ from, messages: ba.input(true).messages }));
    const delays = lockStepDelays(nodes, first, () => nodes.every((ba) => ba.decision !== undefined));
    assert.equal(delays, 2);
    for (const ba of nodes) assert.equal(ba.decision, true);
  });

  it('a single node decides its input', () => {
    const ba = new BinaryAgreement(paramsFor(1), 0, () => false);
    assert.equal(ba.input(true).output, true);
  });

  it('decides on f+1 TERMs (an honest node decided) and then ignores everything', () => {
    const ba = new BinaryAgreement(paramsFor(4), 3, () => true);
    assert.equal(ba.handle(0, { t: 'term', value: false }).output, undefined);
    const step = ba.handle(1, { t: 'term', value: false });
    assert.equal(step.output, false);
    assert.deepEqual(step.messages, [{ to: 'all', message: { t: 'term', value: false } }]);
    assert.equal(ba.terminated, true);
    assert.equal(ba.acceptsInput(), false);
    assert.equal(ba.handle(2, { t: 'term', value: false }).output, undefined);
  });

  it('records equivocation and malformed messages as faults, never counting a sender twice', () => {
    const ba = new BinaryAgreement(paramsFor(4), 0, () => true);
    ba.input(true);
    assert.equal(ba.handle(1, { t: 'aux', epoch: 0, value: true }).faults.length, 0);
    assert.match(ba.handle(1, { t: 'aux', epoch: 0, value: false }).faults[0]!.reason, /two different AUX/);
    assert.match(ba.handle(2, { t: 'term', value: true }).faults.length === 0 ? 'ok' : 'bad', /ok/);
    assert.match(ba.handle(2, { t: 'term', value: false }).faults[0]!.reason, /two different TERM/);
    assert.match(ba.handle(3, { t: 'conf', epoch: 0, values: 3 } as never).faults[0]!.reason, /malformed/);
    assert.match(ba.handle(3, { t: 'bval', epoch: -1, value: true }).faults[0]!.reason, /malformed/);
    // BVAL(1) repeated by the same sender still counts once: 1 (ours) + 1 < 2f+1 = 3
    ba.handle(3, { t: 'bval', epoch: 0, value: true });
    const again = ba.handle(3, { t: 'bval', epoch: 0, value: true });
    assert.equal(again.messages.length, 0);
  });

  it('the seeded coin is deterministic per (seed, instance, epoch) and not constant', () => {
    const seed = new Uint8Array([1, 2, 3]);
    const a: Coin = seededCoin(seed, 5);
    const b: Coin = seededCoin(seed, 5);
    const bits = Array.from({ length: 64 }, (_, e) => a(e));
    assert.deepEqual(bits, Array.from({ length: 64 }, (_, e) => b(e)));
    assert.ok(bits.includes(true) && bits.includes(false));
    const other = Array.from({ length: 64 }, (_, e) => seededCoin(seed, 6)(e));
    assert.notDeepEqual(bits, other);
  });

  it('the coin is true then false in the first epochs of each three (decides equal estimates fast)', () => {
    const coin = seededCoin(new Uint8Array([9]), 0);
    for (let e = 0; e < 30; e += 3) {
      assert.equal(coin(e), true);
      assert.equal(coin(e + 1), false);
    }
  });
});
