/** The relay's gossip verdict: the shared rules plus signatures of blocks, proofs and presence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeChainMessage } from '../shared/chain/chain-message.ts';
import { encodeHalfBlock, type HalfBlock } from '../shared/chain/half-block.ts';
import { encodePresence, presenceSigningBytes, type UnsignedPresence } from '../shared/chain/presence.ts';
import { nextBlock, testAccount } from '../shared/chain/test-signer.ts';
import { appGossipTopic, CHAIN_TOPIC, PRESENCE_TOPIC } from '../shared/gossip/topics.ts';
import { encodeAppMessage } from '../shared/gossip/app-message.ts';
import { createRelayGossipJudge } from './gossip-judge.ts';

const now = 1_763_700_000_000;
const alice = testAccount(1);
const bob = testAccount(2);
const b1 = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 10, time: now });
const b2 = nextBlock(alice, b1, { linkPk: bob.pk, amount: 5, time: now });
const fork = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 11, time: now });
/** the same block with one bit of its signature flipped */
const forged = (b: HalfBlock): HalfBlock => ({ ...b, sig: b.sig.map((x, i) => (i === 0 ? x ^ 1 : x)) });
const blocksMessage = (list: HalfBlock[]) => encodeChainMessage({ t: 'blocks', blocks: list.map(encodeHalfBlock), more: false, proofs: [] });

describe('relay gossip judge', () => {
  const judge = createRelayGossipJudge();

  it('accepts correctly signed blocks and rejects a message with one forged block, naming it', async () => {
    assert.equal((await judge(CHAIN_TOPIC, blocksMessage([b1, b2]), now)).verdict, 'accept');
    const j = await judge(CHAIN_TOPIC, blocksMessage([b1, forged(b2)]), now);
    assert.equal(j.verdict, 'reject');
    assert.match(j.reason ?? '', /block 1: the signature does not verify/);
  });

  it('checks both signatures of a fraud proof, standalone or carried by a blocks message', async () => {
    const proof = (a: HalfBlock, b: HalfBlock) => encodeChainMessage({ t: 'fraud', kind: 'double-block', a: encodeHalfBlock(a), b: encodeHalfBlock(b) });
    assert.equal((await judge(CHAIN_TOPIC, proof(b1, fork), now)).verdict, 'accept');
    assert.equal((await judge(CHAIN_TOPIC, proof(b1, forged(fork)), now)).verdict, 'reject');
    const carried = encodeChainMessage({ t: 'blocks', blocks: [encodeHalfBlock(b2)], more: false, proofs: [{ kind: 'double-block', a: encodeHalfBlock(forged(b1)), b: encodeHalfBlock(fork) }] });
    assert.match((await judge(CHAIN_TOPIC, carried, now)).reason ?? '', /proof 0: the signature does not verify/);
  });

  it('checks presence signatures', async () => {
    const secret = new Uint8Array(32).fill(4);
    const p: UnsignedPresence = { pk: ed25519.getPublicKey(secret), peerId: '12D3KooWExamplePeerId', addrs: [], cluster: 0, time: now, ttl: 60_000 };
    const sig = ed25519.sign(presenceSigningBytes(p), secret);
    assert.equal((await judge(PRESENCE_TOPIC, encodePresence({ ...p, sig }), now)).verdict, 'accept');
    const other = encodePresence({ ...p, peerId: '12D3KooWSomeoneElse', sig });
    assert.match((await judge(PRESENCE_TOPIC, other, now)).reason ?? '', /presence record: the signature does not verify/);
  });

  it('leaves other topics to the shared rules', async () => {
    const app = encodeAppMessage({ topic: 'chat', data: new Uint8Array([1]), text: false, sentAt: now });
    assert.equal((await judge(appGossipTopic('chat'), app, now)).verdict, 'accept');
    assert.equal((await judge(CHAIN_TOPIC, new Uint8Array([1]), now)).verdict, 'reject');
  });
});
