import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Ed25519Verifier } from '../crypto/ed25519.ts';
import { encodeCanonical } from '../codec/cbor.ts';
import { decodePresence, encodePresence, presenceSigningBytes, PresenceTable, type Presence, type UnsignedPresence } from './presence.ts';

const secret = new Uint8Array(32).fill(4);
const pk = ed25519.getPublicKey(secret);
const now = 1_000_000;
const readerKey = new Uint8Array(32).fill(9);
const record = (over: Partial<UnsignedPresence> = {}): Presence => {
  const unsigned = { pk, peerId: '12D3KooWAbcdefghijk', addrs: ['/ip4/127.0.0.1/tcp/1/ws/p2p-circuit'], cluster: 0, capacity: 2, readerKey, time: now, ttl: 60_000, ...over };
  return { ...unsigned, capacity: unsigned.capacity ?? 1, readerKey: unsigned.readerKey ?? null, sig: ed25519.sign(presenceSigningBytes(unsigned), secret) };
};

describe('presence records', () => {
  it('round-trip, and the signature covers every field', async () => {
    const p = record();
    const d = decodePresence(encodePresence(p), now);
    assert.ok(d.ok);
    const verifier = new Ed25519Verifier();
    assert.equal(await verifier.verify({ pk, message: presenceSigningBytes(d.value), sig: d.value.sig }), true);
    const moved = { ...d.value, peerId: '12D3KooWSomeoneElse1' };
    assert.equal(await verifier.verify({ pk, message: presenceSigningBytes(moved), sig: moved.sig }), false, 'a record cannot be re-pointed at another peer');
  });

  it('version 2 carries capacity and the reader key, both signed; left out they default to 1 and null', async () => {
    const d = decodePresence(encodePresence(record()), now);
    assert.ok(d.ok);
    assert.equal(d.value.capacity, 2);
    assert.deepEqual(d.value.readerKey, readerKey);
    const verifier = new Ed25519Verifier();
    const swapped = { ...d.value, readerKey: new Uint8Array(32).fill(1) };
    assert.equal(await verifier.verify({ pk, message: presenceSigningBytes(swapped), sig: swapped.sig }), false, 'a reader key cannot be swapped for another');
    const more = { ...d.value, capacity: 64 };
    assert.equal(await verifier.verify({ pk, message: presenceSigningBytes(more), sig: more.sig }), false, 'nor a capacity inflated');
    const plain: UnsignedPresence = { pk, peerId: '12D3KooWAbcdefghijk', addrs: [], cluster: 0, time: now, ttl: 60_000 };
    const bare = decodePresence(encodePresence({ ...plain, sig: ed25519.sign(presenceSigningBytes(plain), secret) }), now);
    assert.ok(bare.ok);
    assert.equal(bare.value.capacity, 1);
    assert.equal(bare.value.readerKey, null);
    assert.equal(await verifier.verify({ pk, message: presenceSigningBytes(bare.value), sig: bare.value.sig }), true, 'the defaults are what was signed');
  });

  it('refuses a version-1 record, a bad capacity and a bad reader key', () => {
    const p = record();
    const v1 = encodeCanonical({ v: 1, pk, peerId: p.peerId, addrs: p.addrs, cluster: 0, time: now, ttl: 60_000, sig: p.sig });
    const old = decodePresence(v1, now);
    assert.equal(old.ok, false);
    assert.match(old.ok ? '' : old.reason, /version-2 map of 10 fields/);
    for (const capacity of [0, 65, 1.5, -1]) assert.equal(decodePresence(encodePresence(record({ capacity })), now).ok, false, `capacity ${capacity}`);
    assert.equal(decodePresence(encodePresence(record({ capacity: 64 })), now).ok, true);
    assert.equal(decodePresence(encodePresence(record({ readerKey: new Uint8Array(31) })), now).ok, false);
    const stringKey = encodeCanonical({ v: 2, pk, peerId: p.peerId, addrs: p.addrs, cluster: 0, capacity: 1, readerKey: 'x', time: now, ttl: 60_000, sig: p.sig });
    assert.equal(decodePresence(stringKey, now).ok, false);
    const extra = encodeCanonical({ v: 2, pk, peerId: p.peerId, addrs: p.addrs, cluster: 0, capacity: 1, readerKey: null, time: now, ttl: 60_000, sig: p.sig, x: 1 });
    assert.equal(decodePresence(extra, now).ok, false);
  });

  it('refuses expired, future-dated, oversized and malformed records', () => {
    assert.match(String(!decodePresence(encodePresence(record({ time: now - 70_000 })), now).ok && 'expired'), /expired/);
    const future = decodePresence(encodePresence(record({ time: now + 120_000 })), now);
    assert.equal(future.ok, false);
    assert.equal(decodePresence(encodePresence(record({ ttl: 11 * 60_000 })), now).ok, false);
    assert.equal(decodePresence(encodePresence(record({ addrs: Array(9).fill('/x') })), now).ok, false);
    assert.equal(decodePresence(new Uint8Array([1, 2, 3]), now).ok, false);
    assert.equal(decodePresence(new Uint8Array(4096), now).ok, false);
  });

  it('the table keeps the newest record per account until it expires', () => {
    const table = new PresenceTable();
    assert.equal(table.offer(record()), true);
    assert.equal(table.offer(record()), false, 'same time: nothing new');
    assert.equal(table.offer(record({ time: now + 1, peerId: '12D3KooWNewPeerId000' })), true);
    assert.equal(table.get(pk, now + 2)?.peerId, '12D3KooWNewPeerId000');
    assert.equal(table.live(now + 2).length, 1);
    assert.equal(table.get(pk, now + 60_002), undefined);
    assert.deepEqual(table.live(now + 60_002), []);
  });
});
