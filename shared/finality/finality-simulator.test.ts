import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulateFinality, type FinalityBehaviour, type FinalitySimResult } from './finality-simulator.ts';

const FAULTY: FinalityBehaviour[] = ['equivocate', 'silent', 'delay'];

function assertSafeAndLive(r: FinalitySimResult, rounds: number, label: string): void {
  assert.deepEqual(r.safety.violations, [], `${label}: safety`);
  assert.equal(r.stalled, false, `${label}: stalled at ${r.rounds} rounds`);
  assert.ok(r.rounds >= rounds, `${label}: ${r.rounds} rounds`);
}

describe('finality simulator', () => {
  for (const behaviour of FAULTY) {
    it(`f of n facilitators ${behaviour}: never two checkpoints with a quorum for one round, and rounds keep finishing`, () => {
      // every Star holds a seat every round, so each round has exactly f faulty seats of n
      const configs = [
        { stars: 4, seats: 4, faulty: [0], seeds: [1, 2, 3, 4] },
        { stars: 7, seats: 7, faulty: [0, 1], seeds: [1, 2] },
      ];
      for (const c of configs) {
        for (const seed of c.seeds) {
          const starBehaviours = Array.from({ length: c.stars }, (_, i): FinalityBehaviour => (c.faulty.includes(i) ? behaviour : 'honest'));
          const r = simulateFinality({ stars: c.stars, galaxies: 1, seed, rounds: 6, facilitatorsPerRound: c.seats, starBehaviours, signatures: 'fake', loss: 0.05 });
          const label = `${behaviour} ${c.faulty.length}/${c.seats} seed ${seed}`;
          assertSafeAndLive(r, 6, label);
          // round 1 has no roster yet; every later round is decided by its facilitators, not by the timeout
          assert.ok(r.checkpointedRounds >= r.rounds - 1, `${label}: ${r.checkpointedRounds} checkpointed rounds of ${r.rounds}`);
          assert.ok(r.transfers.final > 0, `${label}: transfers became final`);
          assert.ok(r.stars.every((s) => s.finalSetMatches), `${label}: final sets`);
        }
      }
    });
  }

  for (const behaviour of FAULTY) {
    it(`one of four Galaxies ${behaviour}: never two blocks with a quorum at one height, and blocks keep coming`, () => {
      for (const seed of [1, 2]) {
        const r = simulateFinality({ stars: 6, galaxies: 4, seed, rounds: 6, galaxyBehaviours: [behaviour], signatures: 'fake', loss: 0.05 });
        assertSafeAndLive(r, 6, `galaxy ${behaviour} seed ${seed}`);
        assert.ok(r.balancesAgree);
      }
    });
  }

  it('with a quarter of sixteen Stars silent, rounds still finish: a round whose seats cannot agree times out and the next draws others', () => {
    const r = simulateFinality({ stars: 16, galaxies: 1, seed: 5, rounds: 8, starBehaviours: ['silent', 'silent', 'silent', 'silent'], signatures: 'fake' });
    assertSafeAndLive(r, 8, '16 Stars, 4 silent');
    assert.ok(r.transfers.final > 0);
  });

  it('a Star that sleeps through ten rounds catches up from a Galaxy’s stored blocks, verifies them and ends with the same final set', () => {
    const r = simulateFinality({ stars: 8, galaxies: 4, seed: 7, rounds: 16, sleepers: [{ star: 5, atHeight: 3, rounds: 10 }], signatures: 'fake' });
    assertSafeAndLive(r, 16, 'sleeper');
    const sleeper = r.stars[5]!;
    assert.ok(sleeper.fetched >= 10, `caught up on ${sleeper.fetched} stored blocks`);
    assert.ok(sleeper.caughtUp);
    assert.equal(sleeper.finalSetMatches, true);
    assert.ok(r.stars.every((s) => s.finalSetMatches));
  });

  it('a double spend (two countersigned proposals at one (pk, seq)) never gets both final, and every Star ends with the same final balances', () => {
    for (const [seed, galaxies] of [
      [1, 1],
      [2, 4],
      [3, 4],
    ] as const) {
      const r = simulateFinality({ stars: 8, galaxies, seed, rounds: 10, doubleSpend: { star: 0, atHeight: 3 }, signatures: 'fake' });
      assertSafeAndLive(r, 10, `double spend seed ${seed}`);
      assert.ok(r.doubleSpendFinal !== undefined && r.doubleSpendFinal <= 1, `${r.doubleSpendFinal} twins final`);
      assert.equal(r.balancesAgree, true);
      assert.ok(r.stars.every((s) => s.finalSetMatches));
    }
  });

  it('runs with real Ed25519 signatures: an equivocating facilitator, an equivocating Galaxy and a sleeper that verifies what it missed', () => {
    const r = simulateFinality({
      stars: 8,
      galaxies: 4,
      seed: 11,
      rounds: 6,
      starBehaviours: ['equivocate'],
      galaxyBehaviours: ['honest', 'equivocate'],
      sleepers: [{ star: 6, atHeight: 2, rounds: 3 }],
      signatures: 'real',
    });
    assertSafeAndLive(r, 6, 'real signatures');
    assert.ok(r.transfers.final > 0);
    assert.ok(r.faults > 0, 'the equivocators were noticed');
    assert.ok(r.stars[6]!.fetched >= 3 && r.stars[6]!.finalSetMatches);
  });

  it('is a pure function of its options', () => {
    const a = simulateFinality({ stars: 5, galaxies: 1, seed: 3, rounds: 4, signatures: 'fake', loss: 0.1 });
    const b = simulateFinality({ stars: 5, galaxies: 1, seed: 3, rounds: 4, signatures: 'fake', loss: 0.1 });
    assert.deepEqual(a, b);
  });
});
