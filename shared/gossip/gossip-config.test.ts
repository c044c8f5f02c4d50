import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastMessageId, gossipOptions } from './gossip-config.ts';

const b = (...xs: number[]) => Uint8Array.from(xs);
/** a received RPC message as gossipsub hands it to the fast-id function */
type Rpc = { from?: Uint8Array; seqno?: Uint8Array; data?: Uint8Array };
const rpc = (m: Rpc): Rpc => m;

describe('fastMessageId (the seen-cache key of message copies)', () => {
  it('is the same for a copy and differs with the sender or the sequence number', () => {
    const msg = { from: b(1, 2), seqno: b(3), data: b(4, 5, 6) };
    assert.equal(fastMessageId(msg), fastMessageId(rpc({ from: b(1, 2), seqno: b(3), data: b(4, 5, 6) })));
    assert.notEqual(fastMessageId(msg), fastMessageId({ ...msg, from: b(1, 9) }));
    assert.notEqual(fastMessageId(msg), fastMessageId({ ...msg, seqno: b(4) }));
  });

  it("does not read the data: gossipsub's own message id under StrictSign is (key, seqno), so the same from and seqno is one message either way", () => {
    const msg = { from: b(1, 2), seqno: b(3), data: b(4, 5, 6) };
    assert.equal(fastMessageId(msg), fastMessageId(rpc({ ...msg, data: b(7) })));
    assert.equal(gossipOptions('star').msgIdFn, undefined, 'no custom message id: gossipsub uses (key, seqno)');
    assert.equal(gossipOptions('star').globalSignaturePolicy, undefined, 'gossipsub’s default policy: StrictSign');
  });

  it('keeps the fields apart: bytes moved from one field to the next make another id', () => {
    assert.notEqual(fastMessageId({ from: b(1, 2), seqno: b(3) }), fastMessageId({ from: b(1), seqno: b(2, 3) }));
    assert.notEqual(fastMessageId({ seqno: b(1) }), fastMessageId({ from: b(1) }));
  });

  it('is set for Stars and the relay alike', () => {
    assert.equal(gossipOptions('star').fastMsgIdFn, fastMessageId);
    assert.equal(gossipOptions('relay').fastMsgIdFn, fastMessageId);
  });
});
