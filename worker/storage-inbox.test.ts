import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inboxName } from '../shared/storage/record.ts';
import { testWriter } from '../shared/storage/test-writer.ts';
import type { InboxMessage } from '../shared/api.ts';
import { InboxDelivery } from './storage-inbox.ts';
import { encodeProposalValue, encodeValue } from './storage-value.ts';

function harness() {
  const delivered = new Set<string>();
  const events: InboxMessage[] = [];
  const proposals: Uint8Array[] = [];
  const removed: string[] = [];
  const me = testWriter(1);
  const inbox = new InboxDelivery({
    me: me.pkHex,
    store: {
      delivered: async (keys) => keys.map((k) => delivered.has(k)),
      markDelivered: async (keys) => void keys.forEach((k) => delivered.add(k)),
    },
    open: async (r) => (r.value![0] === 1 ? new TextDecoder().decode(r.value!.subarray(1)) : r.value!.slice(1)),
    emit: (m) => events.push(m),
    proposal: async (b) => void proposals.push(b),
    remove: async (r) => void removed.push(r.name),
    clock: () => 5_000,
  });
  return { me, inbox, events, proposals, removed };
}

describe('InboxDelivery', () => {
  it('hands a transfer proposal from the inbox to the chain, not to on(message), once, then deletes it', async () => {
    const { me, inbox, events, proposals, removed } = harness();
    const sender = testWriter(2);
    const halfBlock = Uint8Array.of(9, 8, 7);
    const name = inboxName(sender.pkHex, 'tx-abc');
    const r = sender.write(name, encodeProposalValue(halfBlock), { d: 1 }, { owner: me.pk });
    await inbox.deliver([r]);
    await inbox.deliver([r]);
    assert.deepEqual(proposals, [halfBlock]);
    assert.deepEqual(events, []);
    assert.deepEqual(removed, [name, name]);
  });

  it('raises a message once and deletes it', async () => {
    const { me, inbox, events, proposals } = harness();
    const sender = testWriter(3);
    const r = sender.write(inboxName(sender.pkHex, 'm1'), encodeValue('hello'), { d: 1 }, { owner: me.pk });
    await inbox.deliver([r]);
    await inbox.deliver([r]);
    assert.deepEqual(events.map((e) => e.data), ['hello']);
    assert.deepEqual(proposals, []);
  });
});
