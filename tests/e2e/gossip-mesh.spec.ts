/**
 * Eight Stars in eight browser contexts meet through a real relay, connect directly over
 * WebRTC, and every published message reaches every other Star.
 */
import { expect, test } from './support/fixtures.ts';
import { waitDirect, publish, received, record, status, waitMesh } from './support/stars.ts';

test('8 tabs connect directly over WebRTC and 50 messages from random tabs reach every other tab', async ({ stars }) => {
  const tabs = await stars.many(8);

  for (const tab of tabs) {
    await waitDirect(tab, 2, true);
    expect((await status(tab)).relay).toBe('connected');
  }

  const topic = 'mesh-test';
  for (const tab of tabs) await record(tab, topic);
  // gossipsub learns subscriptions over live connections; wait until each Star has a mesh
  await waitMesh(tabs, topic);

  const sent: Array<{ from: number; text: string }> = [];
  for (let i = 0; i < 50; i++) {
    const from = Math.floor(Math.random() * tabs.length);
    const text = `message ${i} from star ${from} ${Math.random().toString(36).slice(2)}`;
    sent.push({ from, text });
    await publish(tabs[from]!, topic, text);
  }

  for (const tab of tabs) {
    const expected = sent.filter((m) => m.from !== tab.index).map((m) => m.text).sort();
    await expect
      .poll(async () => (await received(tab)).sort(), { timeout: 15_000, message: `star ${tab.index} should receive every message from the others` })
      .toEqual(expected);
  }
});
