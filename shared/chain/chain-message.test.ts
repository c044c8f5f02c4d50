import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCanonical } from '../codec/cbor.ts';
import { MAX_HALF_BLOCK_BYTES } from './half-block.ts';
import { decodeChainMessage, encodeChainMessage, gossipBlockMessages, GOSSIP_LIMITS, MAX_GOSSIP_BLOCKS, STREAM_LIMITS, type ChainMessage } from './chain-message.ts';

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

  it('packs a burst of blocks into as few gossip messages as the limits allow, in order', () => {
    const burst = (n: number, size: number) => Array.from({ length: n }, (_, i) => new Uint8Array(size).fill(i % 251));
    const unpack = (messages: Uint8Array[]) =>
      messages.flatMap((m) => {
        const d = decodeChainMessage(m, GOSSIP_LIMITS);
        assert.ok(d.ok && d.value.t === 'blocks', 'every message decodes within the gossip limits');
        return d.value.blocks;
      });
    assert.deepEqual(gossipBlockMessages([]), []);
    const small = burst(2 * MAX_GOSSIP_BLOCKS + 1, 200);
    const smallMessages = gossipBlockMessages(small);
    assert.equal(smallMessages.length, 3, 'by count');
    assert.deepEqual(unpack(smallMessages), small);
    const big = burst(MAX_GOSSIP_BLOCKS, MAX_HALF_BLOCK_BYTES);
    const bigMessages = gossipBlockMessages(big);
    assert.equal(bigMessages.length, 2, 'by bytes: 64 largest blocks are more than one message holds');
    assert.deepEqual(unpack(bigMessages), big);
  });
});
