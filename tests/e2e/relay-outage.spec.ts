/**
 * The relay is only a way in: once Stars are directly connected they keep gossiping when the
 * relay is gone, and when it comes back a new Star joins the same network.
 */
import { expect, test } from './support/fixtures.ts';
import { waitDirect, publish, received, record, status, waitMesh, waitTopicPeers } from './support/stars.ts';

test('direct connections carry gossip while the relay is down; a new tab joins after it restarts', async ({ relay, stars }) => {
  const tabs = await stars.many(4);
  const topic = 'outage';
  for (const tab of tabs) {
    await waitDirect(tab, 3);
    await record(tab, topic);
  }
  await waitTopicPeers(tabs, topic);

  await relay.stop('SIGKILL');
  for (const tab of tabs) await expect.poll(async () => (await status(tab)).relay, { timeout: 30_000 }).not.toBe('connected');

  const sent = tabs.map((tab) => `during outage from star ${tab.index}`);
  for (const [i, tab] of tabs.entries()) await publish(tab, topic, sent[i]!);
  for (const tab of tabs) {
    const expected = sent.filter((_, i) => i !== tab.index).sort();
    await expect.poll(async () => (await received(tab)).sort(), { timeout: 15_000 }).toEqual(expected);
  }

  await relay.restart();
  for (const tab of tabs) await expect.poll(async () => (await status(tab)).relay, { timeout: 40_000 }).toBe('connected');

  const newcomer = await stars.one();
  tabs.push(newcomer);
  await waitDirect(newcomer, 2, true);
  await record(newcomer, topic);
  await waitMesh(tabs, topic);

  await publish(newcomer, topic, 'hello from the newcomer');
  await publish(tabs[0]!, topic, 'welcome from star 0');
  for (const tab of tabs.slice(0, -1)) {
    await expect.poll(async () => received(tab), { timeout: 15_000 }).toContain('hello from the newcomer');
  }
  await expect.poll(async () => received(newcomer), { timeout: 15_000 }).toContain('welcome from star 0');
});
