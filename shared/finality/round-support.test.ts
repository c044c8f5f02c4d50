import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoundStep } from './agreement-round.ts';
import { decodeGalaxyProposal, encodeGalaxyProposal } from './galaxy-proposal.ts';
import { envelopesOf } from './round-support.ts';
import { encodeEnvelope, MAX_ENVELOPE_BYTES, MAX_ENVELOPE_ITEMS } from './wire.ts';

const from = new Uint8Array(32).fill(1);

describe('envelopesOf', () => {
  it('puts one step in one envelope, `all` as seat -1', () => {
    const messages: RoundStep['messages'] = [
      { to: 'all', message: { t: 'share', hash: new Uint8Array(32), sig: new Uint8Array(64) } },
      { to: 2, message: { t: 'acs', m: { kind: 'ba', instance: 1, message: { t: 'term', value: true } } } },
    ];
    const out = envelopesOf('round', 7, 0, from, messages);
    assert.equal(out.length, 1);
    assert.deepEqual(
      out[0]!.items.map((i) => i.to),
      [-1, 2],
    );
    assert.equal(out[0]!.instance, 7);
  });

  it('splits a step with too many items or too many value bytes for one envelope', () => {
    const many: RoundStep['messages'] = Array.from({ length: MAX_ENVELOPE_ITEMS + 1 }, () => ({ to: 'all' as const, message: { t: 'share' as const, hash: new Uint8Array(32), sig: new Uint8Array(64) } }));
    assert.equal(envelopesOf('round', 1, 0, from, many).length, 2);
    // a step with two 400 kB values: a proposer's VAL, and a VALUE answering a WANT
    const value = new Uint8Array(400_000);
    const big: RoundStep['messages'] = [
      { to: 'all', message: { t: 'acs', m: { kind: 'rbc', instance: 0, message: { t: 'val', value } } } },
      { to: 2, message: { t: 'acs', m: { kind: 'rbc', instance: 1, message: { t: 'value', value } } } },
    ];
    const out = envelopesOf('galaxy', 3, 0, from, big);
    assert.equal(out.length, 2);
    for (const u of out) assert.ok(encodeEnvelope({ ...u, sig: new Uint8Array(64) }).length < MAX_ENVELOPE_BYTES);
  });
});

describe('galaxy proposals', () => {
  it('round-trip, and anything malformed is refused', () => {
    const p = { certs: [new Uint8Array([1, 2])], roster: [new Uint8Array(32).fill(9)], time: 1234 };
    const d = decodeGalaxyProposal(encodeGalaxyProposal(p));
    assert.ok(d.ok);
    assert.deepEqual(d.value, p);
    assert.equal(decodeGalaxyProposal(new Uint8Array([0xa0])).ok, false);
    assert.equal(decodeGalaxyProposal(encodeGalaxyProposal({ ...p, time: -1 })).ok, false);
    assert.equal(decodeGalaxyProposal(encodeGalaxyProposal({ ...p, roster: [new Uint8Array(31)] })).ok, false);
  });
});
