import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import { answerChallenge } from './audit.ts';
import { encodeRecord, inboxName, MAX_VALUE_BYTES, recordDigest } from './record.ts';
import { testWriter } from './test-writer.ts';
import {
  decodeStoreMessage,
  encodeStoreMessage,
  expectedResponse,
  isRequest,
  MAX_KEYS_PER_MESSAGE,
  MAX_RECORDS_PER_MESSAGE,
  MAX_STORE_MESSAGE_BYTES,
  MAX_SYNC_NODES,
  RING_SIZE,
  type StoreMessage,
} from './wire.ts';

const alice = testWriter(1);
const bob = testWriter(2);
const value = new Uint8Array(2500).map((_, i) => i % 251);
const rec = alice.write('notes/a', value, { d1: 1 });
const tomb = alice.write('notes/b', null, { d1: 2 });
const mail = bob.write(inboxName(bob.pkHex, 'm1'), Uint8Array.of(1, 2, 3), { d2: 1 }, { owner: alice.pk });
const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b);

const every: StoreMessage[] = [
  { t: 'put', id: 1, records: [rec, tomb], hint: null },
  { t: 'put', id: 2, records: [mail], hint: bob.pkHex },
  { t: 'get', id: 3, owner: alice.pkHex, name: 'notes/a' },
  { t: 'fetch', id: 4, keyIds: [`${alice.pkHex}/notes/a`, `${alice.pkHex}/notes/b`] },
  { t: 'sync-tree', id: 5, range: { from: 0, to: 0 }, depth: 10, level: 3, indices: [0, 5, 7], hashes: [hash(1), hash(2), hash(3)] },
  { t: 'handoff', id: 6, records: [rec] },
  { t: 'inbox', id: 7, records: [mail] },
  { t: 'list', id: 8, owner: alice.pkHex, prefix: 'inbox/' },
  { t: 'list', id: 9, owner: alice.pkHex, prefix: '' },
  { t: 'audit', id: 10, owner: alice.pkHex, name: 'notes/a', digest: recordDigest(rec), segment: 2 },
  { t: 'put-ack', id: 1, ok: true, reason: '' },
  { t: 'put-ack', id: 2, ok: false, reason: 'hint store full' },
  { t: 'records', id: 3, records: [rec, tomb, mail], more: false },
  { t: 'records', id: 4, records: [], more: true },
  { t: 'sync-nodes', id: 5, level: 3, differing: [5] },
  { t: 'sync-entries', id: 5, buckets: [{ index: 2, entries: [{ keyId: `${alice.pkHex}/notes/a`, position: 12345, versions: toHex(hash(9)) }] }, { index: 9, entries: [] }], more: false },
  { t: 'names', id: 8, names: ['inbox/x', 'notes/a'], more: false },
  { t: 'audit-answer', id: 10, answer: answerChallenge(rec, 2) },
  { t: 'audit-answer', id: 11, answer: null },
  { t: 'refused', id: 12, reason: 'busy' },
];

/** comparable: records by their encoding */
function plain(m: StoreMessage): unknown {
  return JSON.parse(
    JSON.stringify(m, (k, v) => {
      if (v instanceof Uint8Array) return toHex(v);
      if (k === 'records' && Array.isArray(v)) return v.map((r) => toHex(encodeRecord(r)));
      return v;
    }),
  );
}

function raw(fields: Record<string, CborValue>): Uint8Array {
  return encodeCanonical({ v: 1, ...fields });
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  const d = decodeStoreMessage(bytes);
  assert.equal(d.ok, false, 'decoded');
  if (!d.ok) assert.match(d.reason, pattern);
}

describe('store wire messages', () => {
  it('round-trip every message kind, canonically', () => {
    for (const m of every) {
      const bytes = encodeStoreMessage(m);
      const d = decodeStoreMessage(bytes);
      assert.ok(d.ok, d.ok ? '' : `${m.t}: ${d.reason}`);
      assert.deepEqual(plain(d.value), plain(m), m.t);
      assert.equal(toHex(encodeStoreMessage(d.value)), toHex(bytes), `${m.t} re-encodes to the same bytes`);
    }
  });

  it('requests know their responses', () => {
    for (const m of every) {
      if (isRequest(m)) assert.ok(expectedResponse(m.t).length > 0);
    }
    assert.deepEqual(expectedResponse('sync-tree'), ['sync-nodes', 'sync-entries']);
    assert.equal(isRequest({ t: 'put-ack', id: 1, ok: true, reason: '' }), false);
  });

  it('rejects bytes that are not a message: garbage, non-canonical, unknown types, extra or missing fields, bad version', () => {
    rejects(Uint8Array.of(0xff, 0x00), /CBOR/);
    rejects(Uint8Array.of(0xa1, 0x61, 0x74, 0x63, 0x67, 0x65, 0x74, 0x00), /CBOR/); // trailing byte
    rejects(raw({ t: 'delete', id: 1 }), /unknown store message/);
    rejects(raw({ id: 1 }), /no type/);
    rejects(raw({ t: 'get', id: 1, owner: alice.pk, name: 'x', extra: 1 }), /keys/);
    rejects(raw({ t: 'get', id: 1, owner: alice.pk }), /keys/);
    rejects(encodeCanonical({ v: 2, t: 'get', id: 1, owner: alice.pk, name: 'x' }), /version/);
    rejects(raw({ t: 'get', id: -1, owner: alice.pk, name: 'x' }), /id/);
    rejects(raw({ t: 'get', id: 1.5, owner: alice.pk, name: 'x' }), /id/);
    rejects(raw({ t: 'get', id: 1, owner: alice.pk.slice(1), name: 'x' }), /owner/);
    rejects(raw({ t: 'get', id: 1, owner: alice.pk, name: '' }), /name/);
    rejects(raw({ t: 'get', id: 1, owner: alice.pk, name: 'é'.repeat(200) }), /name/);
    rejects(raw({ t: 'put-ack', id: 1, ok: 'yes', reason: '' }), /ok/);
  });

  it('rejects records that fail decodeRecord, and empty batches', () => {
    const bytes = encodeRecord(rec);
    const broken = bytes.slice();
    broken[broken.length - 70]! ^= 1; // inside the value: the segment root no longer matches
    rejects(raw({ t: 'put', id: 1, records: [broken], hint: null }), /records\[0\]/);
    rejects(raw({ t: 'put', id: 1, records: ['not bytes'], hint: null }), /records\[0\]/);
    // someone else's namespace: the namespace rule holds inside messages too
    const forged = bob.signRecord({ ...rec, signer: bob.pk });
    rejects(raw({ t: 'records', id: 1, records: [encodeRecord(forged)], more: false }), /owner/);
    rejects(raw({ t: 'put', id: 1, records: [], hint: null }), /no records/);
    rejects(raw({ t: 'handoff', id: 1, records: [] }), /no records/);
    rejects(raw({ t: 'put', id: 1, records: [bytes], hint: new Uint8Array(31) }), /hint/);
  });

  it('rejects oversized messages and lists past their bounds', () => {
    rejects(new Uint8Array(MAX_STORE_MESSAGE_BYTES + 1), /too large/);
    const small = encodeRecord(alice.write('k', Uint8Array.of(1), { d1: 1 }));
    rejects(raw({ t: 'records', id: 1, records: Array(MAX_RECORDS_PER_MESSAGE + 1).fill(small), more: false }), /at most/);
    const keyId = `${alice.pkHex}/k`;
    rejects(raw({ t: 'fetch', id: 1, keyIds: Array.from({ length: MAX_KEYS_PER_MESSAGE + 1 }, (_, i) => `${keyId}${i}`) }), /at most/);
    rejects(raw({ t: 'fetch', id: 1, keyIds: [keyId, keyId] }), /twice/);
    rejects(raw({ t: 'fetch', id: 1, keyIds: ['nothex/k'] }), /key id/);
    rejects(raw({ t: 'names', id: 1, names: Array(MAX_KEYS_PER_MESSAGE + 1).fill('a'), more: false }), /at most/);
    const nodes = Array.from({ length: MAX_SYNC_NODES + 1 }, (_, i) => i);
    rejects(raw({ t: 'sync-tree', id: 1, from: 0, to: 0, depth: 12, level: 11, indices: nodes, hashes: nodes.map(() => hash(1)) }), /at most/);
    // the encoder refuses to build what the decoder would refuse
    const big = alice.write('big', new Uint8Array(MAX_VALUE_BYTES), { d1: 1 });
    assert.throws(() => encodeStoreMessage({ t: 'records', id: 1, records: Array(20).fill(big), more: false }), RangeError);
  });

  it('rejects sync messages whose indices, levels or hashes do not line up', () => {
    const base = { t: 'sync-tree', id: 1, from: 0, to: 0, depth: 4, level: 2 };
    rejects(raw({ ...base, indices: [1, 2], hashes: [hash(1)] }), /one hash per/);
    rejects(raw({ ...base, indices: [2, 1], hashes: [hash(1), hash(2)] }), /increasing/);
    rejects(raw({ ...base, indices: [4], hashes: [hash(1)] }), /indices\[0\]/); // level 2 has 4 nodes
    rejects(raw({ ...base, level: 5, indices: [0], hashes: [hash(1)] }), /level/);
    rejects(raw({ ...base, depth: 17, indices: [0], hashes: [hash(1)] }), /depth/);
    rejects(raw({ ...base, indices: [0], hashes: [new Uint8Array(31)] }), /hashes\[0\]/);
    rejects(raw({ ...base, indices: [], hashes: [] }), /no nodes/);
    rejects(raw({ ...base, from: RING_SIZE, indices: [0], hashes: [hash(1)] }), /from/);
    rejects(raw({ t: 'sync-nodes', id: 1, level: 1, differing: [2] }), /differing\[0\]/);
    const entry = { key: `${alice.pkHex}/a`, pos: 1, versions: hash(1) };
    rejects(raw({ t: 'sync-entries', id: 1, buckets: [{ index: 3, entries: [entry] }, { index: 3, entries: [] }], more: false }), /increasing/);
    rejects(raw({ t: 'sync-entries', id: 1, buckets: [{ index: 0, entries: [{ ...entry, pos: RING_SIZE }] }], more: false }), /pos/);
    const many = Array.from({ length: 600 }, (_, i) => ({ ...entry, key: `${alice.pkHex}/a${i}` }));
    rejects(raw({ t: 'sync-entries', id: 1, buckets: [{ index: 0, entries: many }, { index: 1, entries: many }], more: false }), /more than/);
  });

  it('rejects audit answers that are not audit answers', () => {
    rejects(raw({ t: 'audit-answer', id: 1, answer: Uint8Array.of(1, 2, 3) }), /audit answer/);
    rejects(raw({ t: 'audit-answer', id: 1, answer: { segment: Uint8Array.of(1) } }), /answer/);
    rejects(raw({ t: 'audit', id: 1, owner: alice.pk, name: 'a', digest: hash(1), segment: 64 }), /segment/);
  });

  it('never throws, whatever the bytes', () => {
    const seed = encodeStoreMessage(every[0]!);
    for (let i = 0; i < 300; i++) {
      const b = seed.slice();
      b[(i * 7919) % b.length]! ^= 1 << (i % 8);
      const d = decodeStoreMessage(b.slice(0, b.length - (i % 3)));
      assert.equal(typeof d.ok, 'boolean');
    }
    assert.equal(decodeStoreMessage('x' as unknown as Uint8Array).ok, false);
  });
});
