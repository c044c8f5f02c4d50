import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeChainMessage, encodeChainMessage, STREAM_LIMITS } from '../shared/chain/chain-message.ts';
import { encodeHalfBlock } from '../shared/chain/half-block.ts';
import { nextBlock, testAccount } from '../shared/chain/test-signer.ts';
import { answerSyncRequest } from '../shared/chain/chain-sync.ts';
import { FraudProofs } from './fraud-proofs.ts';

const alice = testAccount(1);
const bob = testAccount(2);
const a = encodeHalfBlock(nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1, memo: 'a' }));
const b = encodeHalfBlock(nextBlock(alice, undefined, { linkPk: bob.pk, amount: 1, memo: 'b' }));

describe('relay fraud proofs', () => {
  it('keeps each offence once, from fraud messages and from proofs carried with blocks', () => {
    const proofs = new FraudProofs();
    proofs.noteAccepted(encodeChainMessage({ t: 'fraud', kind: 'double-block', a, b }));
    proofs.noteAccepted(encodeChainMessage({ t: 'fraud', kind: 'double-block', a: b, b: a }));
    proofs.noteAccepted(encodeChainMessage({ t: 'blocks', blocks: [a], more: false, proofs: [{ kind: 'double-block', a, b }] }));
    proofs.noteAccepted(new Uint8Array([1, 2, 3]));
    assert.equal(proofs.list().length, 1);
  });

  it('hands them to every Star that syncs', () => {
    const proofs = new FraudProofs();
    proofs.noteAccepted(encodeChainMessage({ t: 'fraud', kind: 'double-block', a, b }));
    const answer = answerSyncRequest(encodeChainMessage({ t: 'sync', heads: [] }), { answerSync: () => ({ blocks: [], more: false }) }, proofs.list());
    const decoded = decodeChainMessage(answer, STREAM_LIMITS);
    assert.ok(decoded.ok && decoded.value.t === 'blocks');
    assert.equal(decoded.value.proofs.length, 1);
  });
});
