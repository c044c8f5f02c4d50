import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { digestHex, ReliableBroadcast, type RbcMessage } from './reliable-broadcast.ts';
import { corruptRbc } from './byzantine.ts';
import { lockStepDelays, simulate, type Behaviour } from './simulator.ts';
import { paramsFor, type NodeId } from './types.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function runRbc(n: number, proposer: NodeId, behaviours: Behaviour[], seed: number, value = enc('checkpoint')) {
  const params = paramsFor(n);
  return simulate<RbcMessage, Uint8Array>({
    n,
    seed,
    behaviours,
    create: (me) => {
      const rbc = new ReliableBroadcast(params, me, proposer);
      return {
        start: () => (me === proposer ? rbc.propose(value) : { messages: [], faults: [] }),
        handle: (from, m) => rbc.handle(from, m),
      };
    },
    corrupt: corruptRbc,
    kindOf: (m) => `rbc.${m.t}`,
  });
}

/** f faulty nodes with `behaviour`, placed after the proposer so the proposer stays honest. */
function withFaulty(n: number, behaviour: Behaviour, skip: NodeId): Behaviour[] {
  const f = paramsFor(n).f;
  const out: Behaviour[] = new Array(n).fill('honest');
  for (let i = 0, placed = 0; placed < f; i++) if (i !== skip) (out[i] = behaviour), placed++;
  return out;
}

describe('reliable broadcast (Bracha)', () => {
  it('a single node delivers its own value at once', () => {
    const rbc = new ReliableBroadcast(paramsFor(1), 0, 0);
    const step = rbc.propose(enc('x'));
    assert.deepEqual(step.output, enc('x'));
  });

  for (const n of [4, 7]) {
    for (const behaviour of ['silent', 'equivocate', 'delay'] as const) {
      it(`n=${n}, honest proposer, f ${behaviour} nodes: every honest node delivers the proposed value`, () => {
        for (let seed = 1; seed <= 20; seed++) {
          const proposer = seed % n;
          const r = runRbc(n, proposer, withFaulty(n, behaviour, proposer), seed);
          assert.ok(r.allHonestOutput, `seed ${seed}`);
          for (const i of r.honest) assert.deepEqual(r.outputs[i], enc('checkpoint'), `seed ${seed} node ${i}`);
          // no honest node is ever blamed
          for (const fault of r.faults) assert.notEqual(r.honest.includes(fault.node), true, fault.reason);
        }
      });
    }

    it(`n=${n}, equivocating proposer: honest nodes deliver one common value or nothing`, () => {
      let delivered = 0;
      let asked = 0;
      for (let seed = 1; seed <= 100; seed++) {
        const proposer = 0;
        const behaviours: Behaviour[] = new Array(n).fill('honest');
        behaviours[proposer] = 'equivocate';
        const r = runRbc(n, proposer, behaviours, seed);
        const values = new Set(r.honest.map((i) => r.outputs[i]).filter((v) => v !== undefined).map((v) => bytesToHex(v!)));
        assert.ok(values.size <= 1, `seed ${seed}: honest nodes delivered ${values.size} different values`);
        // Agreement: if one honest node delivered, all did (the run ends only when the queue drains).
        const count = r.honest.filter((i) => r.outputs[i] !== undefined).length;
        assert.ok(count === 0 || count === r.honest.length, `seed ${seed}: ${count} of ${r.honest.length} delivered`);
        if (count > 0) delivered++;
        asked += r.sentByKind['rbc.want'] ?? 0;
      }
      assert.ok(delivered > 0, 'some runs deliver: the victims can still be outvoted');
      assert.ok(asked > 0, 'some victims hold another value than the one delivered and get it through WANT');
    });
  }

  it('records faults: a VAL from a non-proposer, two different ECHOs, a malformed READY', () => {
    const rbc = new ReliableBroadcast(paramsFor(4), 1, 0);
    assert.match(rbc.handle(2, { t: 'val', value: enc('a') }).faults[0]!.reason, /not the proposer/);
    assert.equal(rbc.handle(2, { t: 'echo', digest: rbcDigest(enc('a')) }).faults.length, 0);
    assert.equal(rbc.handle(2, { t: 'echo', digest: rbcDigest(enc('a')) }).faults.length, 0, 'a repeat is not a fault');
    assert.match(rbc.handle(2, { t: 'echo', digest: rbcDigest(enc('b')) }).faults[0]!.reason, /two different ECHOs/);
    assert.match(rbc.handle(3, { t: 'ready', digest: new Uint8Array(3) }).faults[0]!.reason, /32-byte/);
    assert.match(rbc.handle(3, { t: 'echo', value: enc('a') } as never).faults[0]!.reason, /32-byte/);
    assert.throws(() => rbc.propose(enc('x')), /not the proposer/);
  });

  it('an ECHO is the digest, not the value: the value travels once, in VAL', () => {
    const rbc = new ReliableBroadcast(paramsFor(4), 1, 0);
    const value = enc('a proposal of many half-blocks');
    const step = rbc.handle(0, { t: 'val', value });
    assert.deepEqual(step.messages, [{ to: 'all', message: { t: 'echo', digest: rbcDigest(value) } }]);
  });

  it('delivers exactly once, after 2f+1 READYs with the value known; without it, asks with WANT and takes only the matching VALUE', () => {
    const params = paramsFor(4);
    const rbc = new ReliableBroadcast(params, 3, 0);
    const value = enc('v');
    // READYs alone, from f+1 = 2 nodes: node 3 joins (amplification) but lacks the value.
    const digest = rbcDigest(value);
    const s1 = rbc.handle(0, { t: 'ready', digest });
    assert.equal(s1.messages.length, 0);
    const s2 = rbc.handle(1, { t: 'ready', digest });
    assert.deepEqual(s2.messages.map((m) => m.message.t), ['ready', 'want'], '3 READYs with our own, no value: ask for it');
    assert.equal(s2.output, undefined);
    assert.deepEqual(s2.messages[1]!.message, { t: 'want', digest });
    assert.equal(rbc.handle(2, { t: 'value', value: enc('something else') }).output, undefined, 'a VALUE with another digest is not taken');
    const s3 = rbc.handle(2, { t: 'value', value });
    assert.deepEqual(s3.output, value);
    const s4 = rbc.handle(2, { t: 'ready', digest });
    assert.equal(s4.output, undefined, 'never delivers twice');
  });

  it('fast path: delivers on ECHOs from all n nodes, before any READY; n−1 ECHOs are not enough', () => {
    const value = enc('v');
    const digest = rbcDigest(value);
    const rbc = new ReliableBroadcast(paramsFor(4), 3, 0);
    const s0 = rbc.handle(0, { t: 'val', value });
    assert.deepEqual(s0.messages.map((m) => m.message.t), ['echo']);
    rbc.handle(0, { t: 'echo', digest });
    const s2 = rbc.handle(1, { t: 'echo', digest });
    assert.deepEqual(s2.messages.map((m) => m.message.t), ['ready'], 'n−f = 3 ECHOs with our own: READY');
    assert.equal(s2.output, undefined, 'n−1 ECHOs and no READY: not yet');
    const s3 = rbc.handle(2, { t: 'echo', digest });
    assert.deepEqual(s3.output, value, 'all 4 echoed it: delivered without waiting for READYs');
    assert.equal(rbc.handle(0, { t: 'ready', digest }).output, undefined, 'and never twice');
  });

  for (const n of [4, 7]) {
    it(`n=${n}, all honest: every node delivers two message delays after the proposal (VAL, then ECHO), not three`, () => {
      const params = paramsFor(n);
      const nodes = Array.from({ length: n }, (_, me) => new ReliableBroadcast(params, me, 0));
      const first = [{ from: 0, messages: nodes[0]!.propose(enc('p')).messages }];
      const delays = lockStepDelays(nodes, first, () => nodes.every((rbc) => rbc.delivered !== undefined));
      assert.equal(delays, 2);
      for (const rbc of nodes) assert.deepEqual(rbc.delivered, enc('p'));
    });
  }

  it('answers a WANT with the value it holds, once per node, and not for a value it lacks', () => {
    const rbc = new ReliableBroadcast(paramsFor(4), 1, 0);
    const value = enc('v');
    assert.equal(rbc.handle(2, { t: 'want', digest: rbcDigest(value) }).messages.length, 0, 'nothing to answer with yet');
    rbc.handle(0, { t: 'val', value });
    assert.deepEqual(rbc.handle(2, { t: 'want', digest: rbcDigest(value) }).messages, [{ to: 2, message: { t: 'value', value } }]);
    assert.equal(rbc.handle(2, { t: 'want', digest: rbcDigest(value) }).messages.length, 0, 'once per node');
    assert.equal(rbc.handle(3, { t: 'want', digest: rbcDigest(enc('other')) }).messages.length, 0);
  });
});

function rbcDigest(value: Uint8Array): Uint8Array {
  return Uint8Array.from(Buffer.from(digestHex(value), 'hex'));
}
