import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAppMessage } from './app-message.ts';
import { appGossipTopic, appTopicName, DISCOVERY_TOPIC, isValidAppTopic } from './topics.ts';
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
