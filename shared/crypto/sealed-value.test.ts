import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCanonical, encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import { StarError } from '../errors.ts';
import { envelopeReaders, generateReaderKey, MAX_READERS, openValue, sealValue, type SealReader } from './sealed-value.ts';
import { rejectsWith } from '../test-assert.ts';

const text = new TextEncoder();
const plain = text.encode('meet at the usual place, 7pm');

async function reader(id: string) {
  const key = await generateReaderKey();
  return { id, key, pub: { id, x25519: key.publicKey } satisfies SealReader };
}

/** an envelope's CBOR map with a change applied, re-encoded canonically */
function edit(envelope: Uint8Array, change: (m: Record<string, CborValue>) => void): Uint8Array {
  const m = structuredClone(decodeCanonical(envelope)) as Record<string, CborValue>;
  change(m);
  return encodeCanonical(m);
}

describe('sealed values', () => {
  it('a reader opens what was sealed for it; the envelope lists its readers', async () => {
    const alice = await reader('aa'.repeat(32));
    const sealed = await sealValue(plain, [alice.pub]);
    assert.deepEqual(await openValue(sealed, alice.id, alice.key.privateKey), plain);
    assert.deepEqual(envelopeReaders(sealed), [alice.id]);
    assert.equal(toHex(sealed).includes(toHex(plain)), false, 'the plaintext is not in the envelope');
    const again = await sealValue(plain, [alice.pub]);
    assert.notEqual(toHex(again), toHex(sealed), 'every sealing is fresh (ephemeral key, iv, content key)');
    for (const size of [0, 1, 16, 65_536]) {
      const value = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      assert.deepEqual(await openValue(await sealValue(value, [alice.pub]), alice.id, alice.key.privateKey), value, `size ${size}`);
    }
  });

  it('multiple readers each open it, in any order given', async () => {
    const readers = await Promise.all(['cc', 'aa', 'bb', 'dd'].map((p) => reader(p.repeat(32))));
    const sealed = await sealValue(plain, readers.map((r) => r.pub));
    assert.deepEqual(envelopeReaders(sealed), readers.map((r) => r.id).sort(), 'listed sorted by id');
    for (const r of readers) assert.deepEqual(await openValue(sealed, r.id, r.key.privateKey), plain, r.id);
    const full = await Promise.all(Array.from({ length: MAX_READERS }, (_, i) => reader(`reader-${String(i).padStart(2, '0')}`)));
    const wide = await sealValue(plain, full.map((r) => r.pub));
    assert.deepEqual(await openValue(wide, full[MAX_READERS - 1]!.id, full[MAX_READERS - 1]!.key.privateKey), plain);
  });

  it('a third party is NOT_A_READER, under its own id or claiming a reader’s', async () => {
    const [alice, bob, mallory] = await Promise.all([reader('alice'), reader('bob'), reader('mallory')]);
    const sealed = await sealValue(plain, [alice.pub, bob.pub]);
    const err = await rejectsWith(openValue(sealed, mallory.id, mallory.key.privateKey), 'NOT_A_READER');
    assert.match(err.message, /sealed for 2 other readers, not for mallory; ask its writer/);
    const claimed = await rejectsWith(openValue(sealed, alice.id, mallory.key.privateKey), 'NOT_A_READER');
    assert.match(claimed.message, /does not open the entry sealed for alice/);
    await rejectsWith(openValue(sealed, alice.id, bob.key.privateKey), 'NOT_A_READER');
  });

  it('an entry cannot be relabelled for another reader id', async () => {
    const [alice, bob] = await Promise.all([reader('alice'), reader('bob')]);
    const sealed = await sealValue(plain, [alice.pub, bob.pub]);
    // Put alice's wrapped key under bob's name: bob's id is bound in the KDF and the wrap's aad.
    const swapped = edit(sealed, (m) => {
      const rs = m.readers as { id: string; wrapped: Uint8Array }[];
      [rs[0]!.wrapped, rs[1]!.wrapped] = [rs[1]!.wrapped, rs[0]!.wrapped];
    });
    await rejectsWith(openValue(swapped, alice.id, alice.key.privateKey), 'NOT_A_READER');
    await rejectsWith(openValue(swapped, bob.id, bob.key.privateKey), 'NOT_A_READER');
  });

  it('tampering fails with MALFORMED: ciphertext, tag, dropped or added readers', async () => {
    const [alice, bob, carol] = await Promise.all([reader('alice'), reader('bob'), reader('carol')]);
    const sealed = await sealValue(plain, [alice.pub, bob.pub]);
    const ctFlips = [0, 5, plain.length - 1, plain.length + 15]; // body bytes and the last tag byte
    for (const at of ctFlips) {
      const bad = edit(sealed, (m) => {
        (m.ct as Uint8Array)[at]! ^= 1;
      });
      await rejectsWith(openValue(bad, alice.id, alice.key.privateKey), 'MALFORMED');
    }
    const truncated = edit(sealed, (m) => {
      m.ct = (m.ct as Uint8Array).slice(0, -1);
    });
    await rejectsWith(openValue(truncated, alice.id, alice.key.privateKey), 'MALFORMED');
    const dropped = edit(sealed, (m) => {
      m.readers = (m.readers as CborValue[]).filter((r) => (r as { id: string }).id !== bob.id);
    });
    assert.deepEqual(envelopeReaders(dropped), [alice.id]);
    await rejectsWith(openValue(dropped, alice.id, alice.key.privateKey), 'MALFORMED');
    // A reader cannot quietly add someone: the ciphertext authenticates the reader list.
    const other = decodeCanonical(await sealValue(plain, [carol.pub])) as { readers: CborValue[] };
    const added = edit(sealed, (m) => {
      m.readers = [...(m.readers as CborValue[]), ...other.readers];
    });
    await rejectsWith(openValue(added, alice.id, alice.key.privateKey), 'MALFORMED');
    // iv and epk are bound into every wrap: changing them makes the entry unopenable.
    for (const field of ['iv', 'epk']) {
      const bad = edit(sealed, (m) => {
        (m[field] as Uint8Array)[0]! ^= 1;
      });
      await assert.rejects(openValue(bad, alice.id, alice.key.privateKey), StarError, field);
    }
  });

  it('malformed envelopes are MALFORMED, with envelopeReaders too', async () => {
    const alice = await reader('alice');
    const sealed = await sealValue(plain, [alice.pub]);
    const bads: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(1, 2, 3),
      encodeCanonical([1, 2]),
      Uint8Array.from([...sealed, 0]),
      edit(sealed, (m) => (m.v = 2)),
      edit(sealed, (m) => (m.extra = 1)),
      edit(sealed, (m) => (m.iv = new Uint8Array(11))),
      edit(sealed, (m) => (m.epk = new Uint8Array(31))),
      edit(sealed, (m) => (m.ct = new Uint8Array(15))),
      edit(sealed, (m) => (m.readers = [])),
      edit(sealed, (m) => (m.readers = [{ id: 'alice', wrapped: new Uint8Array(47) }])),
      edit(sealed, (m) => (m.readers = [{ id: '', wrapped: new Uint8Array(48) }])),
      edit(sealed, (m) => (m.readers = [{ id: 'alice', wrapped: new Uint8Array(48), x: 1 }])),
      edit(sealed, (m) => (m.readers = [...(m.readers as CborValue[]), ...(m.readers as CborValue[])])),
      edit(sealed, (m) => (m.readers = Array.from({ length: MAX_READERS + 1 }, (_, i) => ({ id: `r${String(i).padStart(2, '0')}`, wrapped: new Uint8Array(48) })))),
    ];
    for (const [i, bad] of bads.entries()) {
      await rejectsWith(openValue(bad, alice.id, alice.key.privateKey), 'MALFORMED');
      assert.throws(() => envelopeReaders(bad), (err: StarError) => err instanceof StarError && err.code === 'MALFORMED', `case ${i}`);
    }
  });

  it('refuses bad reader lists and keys with INVALID_ARGUMENT', async () => {
    const alice = await reader('alice');
    await rejectsWith(sealValue(plain, []), 'INVALID_ARGUMENT');
    await rejectsWith(sealValue(plain, [alice.pub, alice.pub]), 'INVALID_ARGUMENT');
    await rejectsWith(sealValue(plain, [{ id: 'x', x25519: new Uint8Array(31) }]), 'INVALID_ARGUMENT');
    await rejectsWith(sealValue(plain, [{ id: '', x25519: alice.key.publicKey }]), 'INVALID_ARGUMENT');
    const weak = await rejectsWith(sealValue(plain, [{ id: 'zero', x25519: new Uint8Array(32) }]), 'INVALID_ARGUMENT');
    assert.match(weak.message, /not usable/);
    const many = Array.from({ length: MAX_READERS + 1 }, (_, i) => ({ id: `r${i}`, x25519: alice.key.publicKey }));
    await rejectsWith(sealValue(plain, many), 'INVALID_ARGUMENT');
    const sealed = await sealValue(plain, [alice.pub]);
    const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    await rejectsWith(openValue(sealed, alice.id, aes), 'INVALID_ARGUMENT');
  });

  it('the reader private key is non-extractable and only derives bits', async () => {
    const { privateKey, publicKey } = await generateReaderKey();
    assert.equal(privateKey.extractable, false);
    assert.equal(privateKey.type, 'private');
    assert.equal(privateKey.algorithm.name, 'X25519');
    assert.deepEqual(privateKey.usages, ['deriveBits']);
    assert.equal(publicKey.length, 32);
    for (const format of ['pkcs8', 'jwk', 'raw'] as const) await assert.rejects(crypto.subtle.exportKey(format, privateKey), format);
  });
});
