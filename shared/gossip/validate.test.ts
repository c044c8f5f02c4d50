import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeChainMessage, MAX_GOSSIP_BLOCKS, type ProofBytes } from '../chain/chain-message.ts';
import { encodeHalfBlock } from '../chain/half-block.ts';
import { encodePresence, presenceSigningBytes, type UnsignedPresence } from '../chain/presence.ts';
import { nextBlock, testAccount } from '../chain/test-signer.ts';
import { encodeCanonical } from '../codec/cbor.ts';
import { encodeAppMessage } from './app-message.ts';
import { appGossipTopic, appTopicName, CHAIN_TOPIC, DISCOVERY_TOPIC, isValidAppTopic, PRESENCE_TOPIC } from './topics.ts';
import { judgeGossip, MAX_DISCOVERY_BYTES, MAX_OTHER_TOPIC_BYTES } from './validate.ts';

const now = 1_763_700_000_000;

describe('topics', () => {
  it('maps app topics into the versioned Starweave namespace and back', () => {
    assert.equal(appGossipTopic('chat'), '/starweave/app/1/chat');
    assert.equal(appTopicName('/starweave/app/1/chat'), 'chat');
    assert.equal(appTopicName('/starweave/presence/1'), null);
    assert.equal(appTopicName('/starweave/app/1/has space'), null);
  });

  it('accepts short printable names only', () => {
    for (const ok of ['chat', 'a/b:c-d_e.f', 'x'.repeat(100)]) assert.equal(isValidAppTopic(ok), true, ok);
    for (const bad of ['', 'has space', 'x'.repeat(101), 'tab\t', 'é']) assert.equal(isValidAppTopic(bad), false, bad);
  });
});

describe('gossip verdicts', () => {
  it('accepts a valid app message and returns it decoded', () => {
    const data = encodeAppMessage({ topic: 'chat', data: new Uint8Array([1]), text: false, sentAt: now });
    const j = judgeGossip(appGossipTopic('chat'), data, now);
    assert.equal(j.verdict, 'accept');
    assert.deepEqual(j.app?.data, new Uint8Array([1]));
  });

  it('rejects a malformed app message (the sender is blamed)', () => {
    assert.equal(judgeGossip(appGossipTopic('chat'), new Uint8Array([1, 2, 3]), now).verdict, 'reject');
  });

  it('ignores topics outside the Starweave namespace (no blame, no delivery)', () => {
    assert.equal(judgeGossip('other-network', new Uint8Array(), now).verdict, 'ignore');
  });

  it('bounds discovery records and future topics by size', () => {
    assert.equal(judgeGossip(DISCOVERY_TOPIC, new Uint8Array(100), now).verdict, 'accept');
    assert.equal(judgeGossip(DISCOVERY_TOPIC, new Uint8Array(MAX_DISCOVERY_BYTES + 1), now).verdict, 'reject');
    assert.equal(judgeGossip('/starweave/future/1', new Uint8Array(10), now).verdict, 'accept');
    assert.equal(judgeGossip('/starweave/future/1', new Uint8Array(MAX_OTHER_TOPIC_BYTES + 1), now).verdict, 'reject');
  });
});

describe('chain gossip verdicts', () => {
  const alice = testAccount(1);
  const bob = testAccount(2);
  const b1 = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 10, time: now });
  const b2 = nextBlock(alice, b1, { linkPk: bob.pk, amount: 5, time: now });
  const b1Other = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 11, time: now });
  const blocks = (list: Uint8Array[], proofs: ProofBytes[] = []) => encodeChainMessage({ t: 'blocks', blocks: list, more: false, proofs });

  it('accepts a blocks message and hands back its decoded blocks, in order', () => {
    const j = judgeGossip(CHAIN_TOPIC, blocks([encodeHalfBlock(b1), encodeHalfBlock(b2)]), now);
    assert.equal(j.verdict, 'accept', j.reason);
    assert.equal(j.chain?.message.t, 'blocks');
    assert.deepEqual(j.chain?.blocks.map((b) => b.seq), [1, 2]);
    assert.deepEqual(j.chain?.blocks[0]?.sig, b1.sig);
  });

  it('rejects bytes that are not a chain message, and a message too big for gossip', () => {
    assert.equal(judgeGossip(CHAIN_TOPIC, new Uint8Array([1, 2, 3]), now).verdict, 'reject');
    assert.equal(judgeGossip(CHAIN_TOPIC, encodeCanonical({ t: 'hello' }), now).verdict, 'reject');
    const many = Array.from({ length: MAX_GOSSIP_BLOCKS + 1 }, () => encodeHalfBlock(b1));
    assert.match(judgeGossip(CHAIN_TOPIC, blocks(many), now).reason ?? '', /too many blocks/);
  });

  it('rejects a blocks message with an undecodable block, naming the block', () => {
    const good = encodeHalfBlock(b1);
    const j = judgeGossip(CHAIN_TOPIC, blocks([good, good.subarray(0, good.length - 3)]), now);
    assert.equal(j.verdict, 'reject');
    assert.match(j.reason ?? '', /^block 1: /);
    const wrongShape = encodeCanonical({ v: 1, hello: 'world' });
    assert.equal(judgeGossip(CHAIN_TOPIC, blocks([wrongShape]), now).verdict, 'reject');
  });

  it('rejects an empty blocks message and a sync request on gossip', () => {
    assert.equal(judgeGossip(CHAIN_TOPIC, blocks([]), now).verdict, 'reject');
    const sync = encodeChainMessage({ t: 'sync', heads: [[alice.pk, 1]] });
    assert.match(judgeGossip(CHAIN_TOPIC, blocks([]), now).reason ?? '', /at least one/);
    assert.match(judgeGossip(CHAIN_TOPIC, sync, now).reason ?? '', /sync/);
  });

  it('accepts a fraud proof whose blocks conflict, rejects one whose blocks do not or do not decode', () => {
    const proof = encodeChainMessage({ t: 'fraud', kind: 'double-block', a: encodeHalfBlock(b1), b: encodeHalfBlock(b1Other) });
    const j = judgeGossip(CHAIN_TOPIC, proof, now);
    assert.equal(j.verdict, 'accept', j.reason);
    assert.equal(j.chain?.message.t, 'fraud');
    assert.equal(j.chain?.blocks.length, 0);
    assert.equal(j.chain?.proofs.length, 1);
    assert.equal(j.chain?.proofs[0]?.a.payload.amount, 10);
    const notConflicting = encodeChainMessage({ t: 'fraud', kind: 'double-block', a: encodeHalfBlock(b1), b: encodeHalfBlock(b2) });
    assert.equal(judgeGossip(CHAIN_TOPIC, notConflicting, now).verdict, 'reject');
    const broken = encodeChainMessage({ t: 'fraud', kind: 'double-block', a: encodeHalfBlock(b1), b: new Uint8Array([0xa0]) });
    assert.equal(judgeGossip(CHAIN_TOPIC, broken, now).verdict, 'reject');
  });

  it('judges the proofs a blocks message carries like fraud messages', () => {
    const real: ProofBytes = { kind: 'double-block', a: encodeHalfBlock(b1), b: encodeHalfBlock(b1Other) };
    const withProof = judgeGossip(CHAIN_TOPIC, blocks([encodeHalfBlock(b2)], [real]), now);
    assert.equal(withProof.verdict, 'accept', withProof.reason);
    assert.deepEqual([withProof.chain?.blocks.length, withProof.chain?.proofs.length], [1, 1]);
    assert.equal(judgeGossip(CHAIN_TOPIC, blocks([], [real]), now).verdict, 'accept');
    const fake: ProofBytes = { kind: 'double-agreement', a: encodeHalfBlock(b1), b: encodeHalfBlock(b1Other) };
    assert.match(judgeGossip(CHAIN_TOPIC, blocks([encodeHalfBlock(b2)], [fake]), now).reason ?? '', /^proof 0: /);
  });
});

describe('presence gossip verdicts', () => {
  const secret = new Uint8Array(32).fill(9);
  const record = (fields: Partial<UnsignedPresence> = {}): Uint8Array => {
    const p: UnsignedPresence = { pk: ed25519.getPublicKey(secret), peerId: '12D3KooWExamplePeerId', addrs: ['/p2p-circuit'], cluster: 0, time: now, ttl: 60_000, ...fields };
    return encodePresence({ ...p, sig: ed25519.sign(presenceSigningBytes(p), secret) });
  };

  it('accepts a fresh record and hands it back decoded', () => {
    const j = judgeGossip(PRESENCE_TOPIC, record(), now);
    assert.equal(j.verdict, 'accept', j.reason);
    assert.equal(j.presence?.peerId, '12D3KooWExamplePeerId');
  });

  it('rejects garbage, expired records and records from the future', () => {
    assert.equal(judgeGossip(PRESENCE_TOPIC, new Uint8Array([1]), now).verdict, 'reject');
    assert.match(judgeGossip(PRESENCE_TOPIC, record({ time: now - 120_000 }), now).reason ?? '', /expired/);
    assert.match(judgeGossip(PRESENCE_TOPIC, record({ time: now + 600_000 }), now).reason ?? '', /future/);
  });
});
