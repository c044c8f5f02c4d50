import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Ed25519Verifier } from '../crypto/ed25519.ts';
import { decodePresence, encodePresence, presenceSigningBytes, PresenceTable, type UnsignedPresence } from './presence.ts';

const secret = new Uint8Array(32).fill(4);
const pk = ed25519.getPublicKey(secret);
const now = 1_000_000;
const record = (over: Partial<UnsignedPresence> = {}) => {
  const unsigned = { pk, peerId: '12D3KooWAbcdefghijk', addrs: ['/ip4/127.0.0.1/tcp/1/ws/p2p-circuit'], cluster: 0, time: now, ttl: 60_000, ...over };
  return { ...unsigned, sig: ed25519.sign(presenceSigningBytes(unsigned), secret) };
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
    assert.equal(table.get(pk, now + 60_002), undefined);
  });
});
