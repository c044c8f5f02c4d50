import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCanonical } from '../codec/cbor.ts';
import { decodeChainMessage, encodeChainMessage, GOSSIP_LIMITS, MAX_GOSSIP_BLOCKS, STREAM_LIMITS, type ChainMessage } from './chain-message.ts';

const block = new Uint8Array(200).fill(1);

describe('chain messages', () => {
  it('round-trip every kind', () => {
    const messages: ChainMessage[] = [
      { t: 'blocks', blocks: [block, block], more: true, proofs: [{ kind: 'double-block', a: block, b: block }] },
      { t: 'fraud', kind: 'double-agreement', a: block, b: block },
      { t: 'sync', heads: [[new Uint8Array(32).fill(2), 7]] },
    ];
    for (const m of messages) assert.deepEqual(decodeChainMessage(encodeChainMessage(m), STREAM_LIMITS), { ok: true, value: m });
  });

  it('enforces the limits of the channel it came on', () => {
    const many = encodeChainMessage({ t: 'blocks', blocks: Array(MAX_GOSSIP_BLOCKS + 1).fill(block), more: false, proofs: [] });
    assert.match(String((decodeChainMessage(many, GOSSIP_LIMITS) as { reason: string }).reason), /too many blocks/);
    assert.equal(decodeChainMessage(many, STREAM_LIMITS).ok, true);
    const huge = encodeChainMessage({ t: 'blocks', blocks: [new Uint8Array(2000)], more: false, proofs: [] });
    assert.equal(decodeChainMessage(huge, STREAM_LIMITS).ok, false, 'a block over the half-block size limit');
  });

  it('refuses wrong shapes with a reason', () => {
    for (const v of [{ t: 'blocks', blocks: [], more: false }, { t: 'sync', heads: [[new Uint8Array(3), 1]] }, { t: 'nope' }, [1, 2]]) {
      const d = decodeChainMessage(encodeCanonical(v as never), STREAM_LIMITS);
      assert.equal(d.ok, false, JSON.stringify(v));
    }
  });
});
