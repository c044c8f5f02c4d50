/** The storage adapter's pure helpers: value encoding, penalties, ring membership from presence, quota errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Presence } from '../shared/chain/presence.ts';
import { toHex } from '../shared/codec/hex.ts';
import { StarError } from '../shared/errors.ts';
import { PenaltyBox } from './storage-penalties.ts';
import { StorageMembers } from './storage-members.ts';
import { isQuotaError } from './storage-quota.ts';
import { decodeValue, encodeProposalValue, encodeValue, proposalOf, VALUE_BYTES, VALUE_TEXT } from './storage-value.ts';
import { advanceClock } from './storage-service.ts';
import { compareClocks } from '../shared/storage/vector-clock.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof StarError ? err.code : String(err);
  }
};

describe('stored value encoding', () => {
  it('a string comes back a string and bytes come back bytes, whatever they contain', () => {
    for (const s of ['', 'hello', 'ünïcødé ✓ 🌍', '\u0000\u0001', 'x'.repeat(70_000)]) {
      const enc = encodeValue(s);
      assert.equal(enc[0], VALUE_TEXT);
      assert.equal(decodeValue(enc), s);
    }
    for (const b of [new Uint8Array(0), new Uint8Array([1]), new Uint8Array([0x01, 0x68, 0x69]), new Uint8Array(2000).fill(255)]) {
      const enc = encodeValue(b);
      assert.equal(enc[0], VALUE_BYTES);
      const back = decodeValue(enc);
      assert.ok(back instanceof Uint8Array);
      assert.deepEqual(back, b);
    }
    // the same bytes as text and as bytes differ only in the type byte
    assert.deepEqual(encodeValue('hi').subarray(1), encodeValue(new Uint8Array([0x68, 0x69])).subarray(1));
    assert.equal(typeof decodeValue(encodeValue('hi')), 'string');
  });

  it('marks a transfer proposal apart from a message', () => {
    const halfBlock = Uint8Array.of(1, 2, 3);
    assert.deepEqual(proposalOf(encodeProposalValue(halfBlock)), halfBlock);
    assert.equal(proposalOf(encodeValue(halfBlock)), undefined);
    assert.equal(proposalOf(encodeValue('text')), undefined);
  });

  it('refuses what it cannot round-trip and bytes no Star writes', () => {
    assert.equal(code(() => encodeValue('\ud800 lone surrogate')), 'INVALID_ARGUMENT');
    assert.equal(code(() => encodeValue(42 as unknown as string)), 'INVALID_ARGUMENT');
    assert.equal(code(() => decodeValue(new Uint8Array(0))), 'MALFORMED');
    assert.equal(code(() => decodeValue(new Uint8Array([3, 1, 2]))), 'MALFORMED');
    assert.equal(code(() => decodeValue(new Uint8Array([VALUE_TEXT, 0xff, 0xfe]))), 'MALFORMED');
  });
});

describe('store penalties', () => {
  it('three offences within the window mute a member for the ban time; spaced ones do not', () => {
    const box = new PenaltyBox({ strikes: 3, windowMs: 1_000, banMs: 10_000 });
    assert.equal(box.penalise('a', 0), false);
    assert.equal(box.penalise('a', 2_000), false, 'the first one left the window');
    assert.equal(box.penalise('a', 2_500), false);
    assert.equal(box.banned('a', 2_600), false);
    assert.equal(box.penalise('a', 2_900), true);
    assert.equal(box.banned('a', 3_000), true);
    assert.equal(box.banned('b', 3_000), false);
    assert.equal(box.banned('a', 12_900), false, 'the ban ends');
  });
});

const pk = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const presence = (n: number, over: Partial<Presence> = {}): Presence => ({
  pk: pk(n),
  peerId: `12D3KooWpeer${n}`,
  addrs: [`/p2p-circuit/${n}`],
  cluster: 0,
  capacity: 1,
  readerKey: new Uint8Array(32).fill(100 + n),
  time: 0,
  ttl: 60_000,
  sig: new Uint8Array(64),
  ...over,
});

describe('ring membership from presence', () => {
  it('maps members to peers both ways, leaves this account out and reports changes only', () => {
    const m = new StorageMembers(toHex(pk(1)));
    const first = m.refresh([presence(1), presence(2), presence(3, { capacity: 4 })]);
    assert.deepEqual(first.members?.map((x) => [x.id.slice(0, 2), x.capacity]), [['02', 1], ['03', 4]]);
    assert.equal(first.readerKeys.length, 2);
    assert.equal(m.memberOf('12D3KooWpeer2'), toHex(pk(2)));
    assert.equal(m.memberOf('12D3KooWpeer1'), undefined, 'this account in another browser is not a peer of the ring');
    assert.deepEqual(m.routeTo(toHex(pk(3))), { peerId: '12D3KooWpeer3', addrs: ['/p2p-circuit/3'] });
    const same = m.refresh([presence(3, { capacity: 4 }), presence(2)]);
    assert.equal(same.members, undefined, 'same members: nothing to rebuild');
    assert.deepEqual(same.readerKeys, [], 'known reader keys are not kept again');
    const moved = m.refresh([presence(2, { peerId: '12D3KooWmoved' }), presence(3, { capacity: 2 })]);
    assert.ok(moved.members, 'a capacity change rebuilds the ring');
    assert.equal(m.memberOf('12D3KooWmoved'), toHex(pk(2)));
    assert.equal(m.memberOf('12D3KooWpeer2'), undefined);
  });

  it('remembers reader keys of accounts that went offline, and takes a new key over an old one', () => {
    const m = new StorageMembers(toHex(pk(1)));
    m.remember(new Map([[toHex(pk(9)), new Uint8Array(32).fill(9)]]));
    m.refresh([presence(2)]);
    m.refresh([]);
    assert.equal(m.routeTo(toHex(pk(2))), undefined, 'offline: no route');
    assert.deepEqual(m.readerKeyOf(toHex(pk(2))), new Uint8Array(32).fill(102), 'but its reader key is kept');
    assert.deepEqual(m.readerKeyOf(toHex(pk(9))), new Uint8Array(32).fill(9));
    const changed = m.refresh([presence(2, { readerKey: new Uint8Array(32).fill(7) })]);
    assert.equal(changed.readerKeys.length, 1);
    assert.deepEqual(m.readerKeyOf(toHex(pk(2))), new Uint8Array(32).fill(7));
    m.refresh([presence(3, { readerKey: null })]);
    assert.equal(m.readerKeyOf(toHex(pk(3))), undefined, 'no reader key published');
  });
});

describe('quota errors', () => {
  it('recognises the DOMException IndexedDB rejects with when the origin is full', () => {
    assert.equal(isQuotaError(new DOMException('full', 'QuotaExceededError')), true);
    assert.equal(isQuotaError(new DOMException('gone', 'AbortError')), false);
    assert.equal(isQuotaError(new Error('QuotaExceededError')), false);
    assert.equal(isQuotaError(undefined), false);
  });
});

describe('advanceClock (the writer entry of a put)', () => {
  it('moves past the old entry and the time, so a device that forgot its clocks still supersedes its own writes', () => {
    const first = advanceClock({}, 'dev', 1_000);
    assert.deepEqual(first, { dev: 1_000 });
    // same millisecond: still one more
    assert.deepEqual(advanceClock(first, 'dev', 1_000), { dev: 1_001 });
    // after a reload nothing is known, but time has moved on
    assert.equal(compareClocks(first, advanceClock({}, 'dev', 2_000)), 'before');
    // another device's entry is kept, so its version is superseded, not forgotten
    assert.equal(compareClocks({ other: 5 }, advanceClock({ other: 5 }, 'dev', 3_000)), 'before');
  });
});
