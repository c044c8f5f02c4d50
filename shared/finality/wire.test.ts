import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import {
  checkpointTopic,
  clusterTopic,
  decodeEnvelope,
  encodeEnvelope,
  envelopeSigningBytes,
  MAX_BA_EPOCH,
  MAX_ENVELOPE_BYTES,
  MAX_ENVELOPE_ITEMS,
  roundMessageToCbor,
  roundTopic,
  type Envelope,
  type RoundMessage,
  type UnsignedEnvelope,
} from './wire.ts';
import { nobleVerify, plain, testKey } from './test-fixtures.ts';

const key = testKey(1);
const digest = sha256(Uint8Array.of(1));

const every: RoundMessage[] = [
  { t: 'acs', m: { kind: 'rbc', instance: 0, message: { t: 'val', value: Uint8Array.of(1, 2, 3) } } },
  { t: 'acs', m: { kind: 'rbc', instance: 3, message: { t: 'echo', digest } } },
  { t: 'acs', m: { kind: 'rbc', instance: 1, message: { t: 'ready', digest } } },
  { t: 'acs', m: { kind: 'rbc', instance: 2, message: { t: 'want', digest } } },
  { t: 'acs', m: { kind: 'rbc', instance: 2, message: { t: 'value', value: new Uint8Array(0) } } },
  { t: 'acs', m: { kind: 'ba', instance: 2, message: { t: 'bval', epoch: 0, value: true } } },
  { t: 'acs', m: { kind: 'ba', instance: 2, message: { t: 'aux', epoch: 5, value: false } } },
  { t: 'acs', m: { kind: 'ba', instance: 1, message: { t: 'term', value: true } } },
  { t: 'share', hash: digest, sig: new Uint8Array(64).fill(9) },
];

function envelope(items: UnsignedEnvelope['items'], kind: 'round' | 'galaxy' = 'round'): Envelope {
  const unsigned: UnsignedEnvelope = { kind, instance: 12, cluster: 0, from: key.pk, items };
  return { ...unsigned, sig: key.sign(envelopeSigningBytes(unsigned)) };
}

const valid = envelope(every.map((m, i) => ({ to: i % 2 === 0 ? -1 : i % 4, m })));

/** the raw CBOR shape of `valid`, to break one field at a time */
function raw(over: Record<string, CborValue> = {}, item?: CborValue): Uint8Array {
  const base: Record<string, CborValue> = {
    v: 1,
    kind: 'round',
    instance: 12,
    cluster: 0,
    from: key.pk,
    items: item === undefined ? [{ to: -1, m: roundMessageToCbor(every[0]!) }] : [item],
    sig: new Uint8Array(64),
  };
  return encodeCanonical({ ...base, ...over });
}

const acs = (kind: string, message: CborValue, instance: CborValue = 0): CborValue => ({ to: -1, m: { t: 'acs', m: { kind, instance, message } } });

describe('envelopes', () => {
  it('round-trip every message kind; the signature covers a domain-tagged encoding', () => {
    const bytes = encodeEnvelope(valid);
    const d = decodeEnvelope(bytes);
    assert.ok(d.ok, d.ok ? '' : d.reason);
    assert.deepEqual(plain(d.value), plain(valid));
    assert.equal(toHex(encodeEnvelope(d.value)), toHex(bytes));
    const signing = envelopeSigningBytes(d.value);
    assert.ok(new TextDecoder().decode(signing).startsWith('starweave/envelope/1'));
    assert.ok(nobleVerify({ pk: d.value.from, message: signing, sig: d.value.sig }));
    // every field is covered by the signature
    for (const changed of [
      { ...valid, instance: 13 },
      { ...valid, cluster: 1 },
      { ...valid, kind: 'galaxy' as const },
      { ...valid, items: valid.items.slice(1) },
      { ...valid, items: [{ ...valid.items[0]!, to: 2 }, ...valid.items.slice(1)] },
    ]) {
      assert.ok(!nobleVerify({ pk: key.pk, message: envelopeSigningBytes(changed), sig: valid.sig }));
    }
    const g = envelope([{ to: 0, m: every[every.length - 1]! }], 'galaxy');
    assert.deepEqual(plain((decodeEnvelope(encodeEnvelope(g)) as { value: unknown }).value), plain(g));
  });

  it('drops fields that are not part of a message', () => {
    const sloppy = envelope([{ to: -1, m: { t: 'share', hash: digest, sig: new Uint8Array(64), extra: 1 } as unknown as RoundMessage }]);
    const d = decodeEnvelope(encodeEnvelope(sloppy));
    assert.ok(d.ok);
    assert.deepEqual(Object.keys(d.value.items[0]!.m).sort(), ['hash', 'sig', 't']);
  });

  it('accepts the raw reference shape', () => {
    assert.ok(decodeEnvelope(raw()).ok);
    assert.ok(decodeEnvelope(raw({}, acs('ba', { t: 'bval', epoch: MAX_BA_EPOCH, value: false }, 255))).ok);
  });

  it('rejects malformed envelopes', () => {
    const bad: Array<[string, Uint8Array]> = [
      ['version', raw({ v: 2 })],
      ['kind', raw({ kind: 'other' })],
      ['instance', raw({ instance: -1 })],
      ['instance', raw({ instance: 1.5 })],
      ['instance', raw({ instance: '1' })],
      ['cluster', raw({ cluster: -1 })],
      ['cluster', raw({ cluster: 1024 })],
      ['from', raw({ from: new Uint8Array(31) })],
      ['sig', raw({ sig: new Uint8Array(63) })],
      ['sig', raw({ sig: null })],
      ['no messages', raw({ items: [] })],
      ['items', raw({ items: Array.from({ length: MAX_ENVELOPE_ITEMS + 1 }, () => ({ to: -1, m: roundMessageToCbor(every[0]!) })) })],
      ['items', raw({ items: {} })],
      ['extra key', raw({ extra: 1 })],
      ['to', raw({}, { to: -2, m: roundMessageToCbor(every[0]!) })],
      ['to', raw({}, { to: 256, m: roundMessageToCbor(every[0]!) })],
      ['to', raw({}, { to: true, m: roundMessageToCbor(every[0]!) })],
      ['item keys', raw({}, { to: -1 })],
      ['item keys', raw({}, { to: -1, m: roundMessageToCbor(every[0]!), x: 0 })],
      ['round t', raw({}, { to: -1, m: { t: 'nope' } })],
      ['round t', raw({}, { to: -1, m: 'acs' })],
      ['share hash', raw({}, { to: -1, m: { t: 'share', hash: new Uint8Array(31), sig: new Uint8Array(64) } })],
      ['share sig', raw({}, { to: -1, m: { t: 'share', hash: digest, sig: new Uint8Array(65) } })],
      ['share extra', raw({}, { to: -1, m: { t: 'share', hash: digest, sig: new Uint8Array(64), x: 1 } })],
      ['acs kind', raw({}, acs('xyz', { t: 'val', value: new Uint8Array(1) }))],
      ['acs instance', raw({}, acs('rbc', { t: 'val', value: new Uint8Array(1) }, -1))],
      ['acs instance', raw({}, acs('rbc', { t: 'val', value: new Uint8Array(1) }, 256))],
      ['acs instance', raw({}, acs('rbc', { t: 'val', value: new Uint8Array(1) }, 'a'))],
      ['rbc t', raw({}, acs('rbc', { t: 'bval', value: new Uint8Array(1) }))],
      ['rbc value', raw({}, acs('rbc', { t: 'val', value: 'text' }))],
      ['rbc value', raw({}, acs('rbc', { t: 'value' }))],
      ['rbc digest', raw({}, acs('rbc', { t: 'echo', value: new Uint8Array(1) }))],
      ['rbc digest', raw({}, acs('rbc', { t: 'want', digest: new Uint8Array(31) }))],
      ['rbc digest', raw({}, acs('rbc', { t: 'ready', digest: new Uint8Array(33) }))],
      ['rbc extra', raw({}, acs('rbc', { t: 'ready', digest, value: new Uint8Array(1) }))],
      ['rbc message', raw({}, acs('rbc', null))],
      ['ba t', raw({}, acs('ba', { t: 'val', epoch: 0, value: true }))],
      ['ba value', raw({}, acs('ba', { t: 'bval', epoch: 0, value: 1 }))],
      ['ba value', raw({}, acs('ba', { t: 'aux', epoch: 0, value: null }))],
      ['ba epoch', raw({}, acs('ba', { t: 'bval', epoch: -1, value: true }))],
      ['ba epoch', raw({}, acs('ba', { t: 'bval', epoch: MAX_BA_EPOCH + 1, value: true }))],
      ['ba epoch', raw({}, acs('ba', { t: 'aux', epoch: 0.5, value: true }))],
      ['ba epoch', raw({}, acs('ba', { t: 'aux', value: true }))],
      ['ba t', raw({}, acs('ba', { t: 'conf', epoch: 0, values: 3 }))],
      ['term value', raw({}, acs('ba', { t: 'term', value: 'yes' }))],
      ['term extra', raw({}, acs('ba', { t: 'term', value: true, epoch: 0 }))],
      ['not a map', encodeCanonical([1, 2])],
      ['not CBOR', Uint8Array.of(0xff, 0x00)],
      ['empty', new Uint8Array(0)],
      ['trailing bytes', Uint8Array.from([...raw(), 0])],
    ];
    for (const [what, bytes] of bad) {
      const d = decodeEnvelope(bytes);
      assert.equal(d.ok, false, `${what}: decoded`);
    }
    const big = decodeEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1));
    assert.ok(!big.ok && /too large/.test(big.reason));
    // a value too large to fit is refused by size before anything else
    assert.equal(decodeEnvelope(raw({}, acs('rbc', { t: 'val', value: new Uint8Array(MAX_ENVELOPE_BYTES) }))).ok, false);
  });

  it('one-byte mutations never throw and never decode to the same envelope', () => {
    const bytes = encodeEnvelope(valid);
    for (let i = 0; i < bytes.length; i++) {
      for (const x of [0x01, 0x02, 0x20, 0x80, 0xff]) {
        const m = bytes.slice();
        m[i]! ^= x;
        const d = decodeEnvelope(m);
        if (d.ok) {
          assert.equal(toHex(encodeEnvelope(d.value)), toHex(m));
          assert.ok(!nobleVerify({ pk: d.value.from, message: envelopeSigningBytes(d.value), sig: d.value.sig }), `mutation at ${i} still verifies`);
        }
      }
    }
  });
});

describe('per-cluster topics', () => {
  it('name one round and one checkpoint topic per cluster, and read the cluster back', () => {
    assert.notEqual(roundTopic(0), roundTopic(1));
    assert.notEqual(roundTopic(2), checkpointTopic(2));
    for (const c of [0, 1, 7, 1023]) {
      assert.deepEqual(clusterTopic(roundTopic(c)), { kind: 'round', cluster: c });
      assert.deepEqual(clusterTopic(checkpointTopic(c)), { kind: 'checkpoint', cluster: c });
    }
  });

  it('know no other name for a cluster, and no cluster past the last', () => {
    const base = roundTopic(0).slice(0, -1);
    for (const name of [`${base}01`, `${base}-1`, `${base}1.0`, `${base}`, `${base}1024`, `${base}99999`, '/starweave/blackhole/1', '/starweave/chain/1']) {
      assert.equal(clusterTopic(name), undefined, name);
    }
  });
});
