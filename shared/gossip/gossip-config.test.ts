import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastMessageId, gossipOptions } from './gossip-config.ts';

const b = (...xs: number[]) => Uint8Array.from(xs);

describe('fastMessageId (the seen-cache key of message copies)', () => {
  it('is the same for a copy and differs when any signed field differs', () => {
    const msg = { from: b(1, 2), seqno: b(3), data: b(4, 5, 6) };
    assert.equal(fastMessageId(msg), fastMessageId({ from: b(1, 2), seqno: b(3), data: b(4, 5, 6) }));
    assert.notEqual(fastMessageId(msg), fastMessageId({ ...msg, from: b(1, 9) }));
    assert.notEqual(fastMessageId(msg), fastMessageId({ ...msg, seqno: b(4) }));
    assert.notEqual(fastMessageId(msg), fastMessageId({ ...msg, data: b(4, 5) }));
  });

  it('keeps the fields apart: bytes moved from one field to the next make another id', () => {
    assert.notEqual(fastMessageId({ from: b(1, 2), seqno: b(3), data: b() }), fastMessageId({ from: b(1), seqno: b(2, 3), data: b() }));
    assert.notEqual(fastMessageId({ data: b(1) }), fastMessageId({ from: b(1) }));
  });

  it('is set for Stars and the relay alike', () => {
    assert.equal(gossipOptions('star').fastMsgIdFn, fastMessageId);
    assert.equal(gossipOptions('relay').fastMsgIdFn, fastMessageId);
  });
});
