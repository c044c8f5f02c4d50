import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCanonical } from '../codec/cbor.ts';
import { decodeAppMessage, encodeAppMessage, MAX_APP_DATA_BYTES, MAX_CLOCK_SKEW_MS } from './app-message.ts';

const now = 1_763_700_000_000;
const good = { topic: 'chat', data: new TextEncoder().encode('hi'), text: true, sentAt: now };
const envelope = (fields: Record<string, unknown>) => encodeCanonical({ v: 1, topic: 'chat', data: new Uint8Array([104, 105]), text: true, sentAt: now, ...fields } as never);

describe('app message envelope', () => {
  it('has a fixed encoding (test vector)', () => {
    const bytes = encodeAppMessage({ topic: 't', data: new Uint8Array([1]), text: false, sentAt: 1 });
    // {"v":1,"data":h'01',"text":false,"topic":"t","sentAt":1} in canonical key order
    assert.equal(Buffer.from(bytes).toString('hex'), 'a5617601646461746141016474657874f4657' + '46f7069636174' + '6673656e7441740' + '1');
  });

  it('accepts what it encodes', () => {
    const decoded = decodeAppMessage(encodeAppMessage(good), 'chat', now);
    assert.deepEqual(decoded, { ok: true, message: good });
  });

  it('rejects each broken case with a reason', () => {
    const cases: Array<[string, Uint8Array, string]> = [
      ['not CBOR', new TextEncoder().encode('garbage'), 'chat'],
      ['not a map', encodeCanonical([1, 2]), 'chat'],
      ['wrong version', envelope({ v: 2 }), 'chat'],
      ['topic mismatch (replayed onto another topic)', envelope({}), 'other'],
      ['data not bytes', envelope({ data: 'hi' }), 'chat'],
      ['text flag not boolean', envelope({ text: 1 }), 'chat'],
      ['text not UTF-8', envelope({ data: new Uint8Array([0xff, 0xfe]) }), 'chat'],
      ['sentAt not an integer', envelope({ sentAt: 1.5 }), 'chat'],
      ['sentAt far in the future', envelope({ sentAt: now + MAX_CLOCK_SKEW_MS + 1 }), 'chat'],
      ['extra field', envelope({ extra: 1 }), 'chat'],
      ['oversized', envelope({ data: new Uint8Array(MAX_APP_DATA_BYTES + 1), text: false }), 'chat'],
      ['oversized envelope bytes', new Uint8Array(100 * 1024), 'chat'],
    ];
    for (const [name, bytes, topic] of cases) {
      const result = decodeAppMessage(bytes, topic, now);
      assert.equal(result.ok, false, name);
      if (!result.ok) assert.ok(result.reason.length > 0, name);
    }
  });

  it('refuses to encode an invalid topic or an oversized payload with a clear error', () => {
    assert.throws(() => encodeAppMessage({ ...good, topic: 'has space' }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => encodeAppMessage({ ...good, data: new Uint8Array(MAX_APP_DATA_BYTES + 1) }), { code: 'MESSAGE_TOO_LARGE' });
  });
});
