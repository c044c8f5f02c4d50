import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutBatches } from './put-batches.ts';
import { Requests } from './requests.ts';
import { Out, type StorageOutput } from './storage-outputs.ts';
import { testWriter } from './test-writer.ts';
import type { StoreMessage, StoreResponse } from './wire.ts';

const alice = testWriter(1);
const peer = testWriter(2).pkHex;
const other = testWriter(3).pkHex;
const rec = (i: number) => alice.write(`k${i}`, new Uint8Array([i]), { d: 1 });
const sends = (outputs: StorageOutput[]) => outputs.flatMap((o) => (o.kind === 'send' ? [{ to: o.to, msg: o.msg }] : []));
const ack = (msg: StoreMessage, ok: boolean): StoreResponse => ({ t: 'put-ack', id: msg.id, ok, reason: ok ? '' : 'refused' });

function setup(maxPerPeer = 64) {
  const requests = new Requests({ maxOutstanding: 100, maxPerPeer });
  return { requests, puts: new PutBatches(requests, 1_000) };
}

describe('PutBatches', () => {
  it('puts of one step to one member (and one hint) share one request, and its ack answers each', () => {
    const { requests, puts } = setup();
    const out = new Out();
    const answers: Array<[number, boolean | null]> = [];
    const on = (i: number) => (a: StoreResponse | null) => answers.push([i, a === null ? null : a.t === 'put-ack' && a.ok]);
    for (let i = 0; i < 3; i++) assert.equal(puts.send(out, peer, null, rec(i), 0, on(i)), true);
    assert.equal(puts.send(out, peer, other, rec(3), 0, on(3)), true);
    assert.equal(puts.send(out, other, null, rec(4), 0, on(4)), true);
    const sent = sends(out.finish());
    assert.deepEqual(
      sent.map((s) => [s.to, s.msg.t === 'put' ? [s.msg.records.map((r) => r.name), s.msg.hint] : null]),
      [
        [peer, [['k0', 'k1', 'k2'], null]],
        [peer, [['k3'], other]],
        [other, [['k4'], null]],
      ],
    );
    assert.equal(requests.outstandingTo(peer), 2);
    requests.resolve(peer, ack(sent[0]!.msg, true), new Out(), 1);
    assert.deepEqual(answers, [[0, true], [1, true], [2, true]]);
    // a later step opens a new request
    const later = new Out();
    puts.send(later, peer, null, rec(5), 2, on(5));
    assert.equal(sends(later.finish()).length, 1);
  });

  it('a refused batch is asked again record by record; only those answers count', () => {
    const { requests, puts } = setup();
    const out = new Out();
    const answers = new Map<number, boolean | null>();
    for (let i = 0; i < 3; i++) puts.send(out, peer, null, rec(i), 0, (a) => answers.set(i, a === null ? null : a.t === 'put-ack' && a.ok));
    const [batch] = sends(out.finish());
    const retry = new Out();
    requests.resolve(peer, ack(batch!.msg, false), retry, 1);
    assert.equal(answers.size, 0, 'the refusal itself answers no record');
    const alone = sends(retry.finish());
    assert.deepEqual(alone.map((s) => (s.msg.t === 'put' ? s.msg.records.map((r) => r.name) : [])), [['k0'], ['k1'], ['k2']]);
    requests.resolve(peer, ack(alone[0]!.msg, true), new Out(), 2);
    requests.resolve(peer, ack(alone[1]!.msg, false), new Out(), 2);
    requests.expire(5_000, new Out());
    assert.deepEqual([...answers].sort(), [[0, true], [1, false], [2, null]]);
  });

  it('no room for a request: nothing is sent and the put is told so at once', () => {
    const { puts } = setup(0);
    const out = new Out();
    assert.equal(puts.send(out, peer, null, rec(0), 0, () => assert.fail('not asked')), false);
    assert.equal(sends(out.finish()).length, 0);
  });
});
