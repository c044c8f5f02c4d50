/**
 * Clusters in real tabs: a Galaxy with a low split threshold splits 12 tabs into two
 * clusters. Every tab moves to its cluster's round and checkpoint topics (and leaves the
 * other's), each cluster checkpoints on its own, and transfers within a cluster and across
 * the two become final at both ends, under one Blackhole chain.
 */
import { checkpointTopic, roundTopic } from '../../shared/finality/wire.ts';
import { addressOf, call, fund, statusIn } from './support/accounts.ts';
import { expect, test } from './support/fixtures.ts';
import { status, type StarTab } from './support/stars.ts';

const TABS = 12;
/** budgets for a loaded 2-core machine (see finality.spec.ts) */
const final = { timeout: 120_000 };

// a cluster of more than 11 Stars splits; merging needs fewer than 3 per remaining cluster
test.use({ galaxies: 1, networkEnv: { GALAXY_SPLIT_ABOVE: '11', GALAXY_MERGE_BELOW: '3' } });
test.describe.configure({ timeout: 480_000 });

const clusterOf = async (tab: StarTab): Promise<number> => (await status(tab)).cluster;
const topicsOf = (tab: StarTab): Promise<string[]> => tab.page.evaluate(async () => (await window.starweave.connect()).debug!.topics());

test('12 tabs split into two clusters: each tab is in its own cluster’s topics, each cluster checkpoints, and transfers within and across clusters become final', async ({ stars, network }) => {
  const tabs = await stars.many(TABS);
  const addresses = await Promise.all(tabs.map(addressOf));

  // once the Galaxy's roster holds all 12, the next Blackhole block sets two clusters
  await expect.poll(async () => new Set(await Promise.all(tabs.map(clusterOf))).size, { ...final, message: 'the tabs should end up in two clusters' }).toBe(2);
  const clusters = await Promise.all(tabs.map(clusterOf));
  for (const [i, tab] of tabs.entries()) {
    const mine = clusters[i]!;
    const other = 1 - mine;
    await expect
      .poll(async () => {
        const topics = await topicsOf(tab);
        return [topics.includes(roundTopic(mine)), topics.includes(checkpointTopic(mine)), topics.includes(roundTopic(other)), topics.includes(checkpointTopic(other))];
      }, { message: `star ${i} should be in cluster ${mine}'s round and checkpoint topics only` })
      .toEqual([true, true, false, false]);
  }

  const inCluster = (c: number) => tabs.filter((_, i) => clusters[i] === c);
  const [a0, b0] = inCluster(0);
  const [a1, b1] = inCluster(1);
  expect(a0 && a1, `both clusters have a tab (${clusters.join(',')})`).toBeTruthy();
  // across: cluster 0 → cluster 1 and back; within a cluster, where one has a second tab
  const within = b0 ? ([b0, a0!] as const) : b1 ? ([b1, a1!] as const) : undefined;
  const plan: Array<readonly [StarTab, StarTab, number, string]> = [
    [a0!, a1!, 7, 'across, from cluster 0'],
    [a1!, a0!, 5, 'across, from cluster 1'],
    ...(within ? [[within[0], within[1], 3, 'within a cluster'] as const] : []),
  ];
  // every sender is funded before anything is sent, so no payout races an incoming transfer
  for (const [from] of plan) await fund(from);
  const sent: Array<{ from: StarTab; to: StarTab; id: string }> = [];
  for (const [from, to, amount, memo] of plan) {
    const { id } = await call<{ id: string }>(from, 'transfer', addresses[to.index]!, amount, memo);
    sent.push({ from, to, id });
  }
  for (const t of sent) {
    await expect.poll(() => statusIn(t.from, t.id), { ...final, message: `star ${t.from.index}'s transfer should become final` }).toBe('final');
    await expect.poll(() => statusIn(t.to, t.id), { ...final, message: `star ${t.to.index} should see the transfer final` }).toBe('final');
  }
  // still two clusters: the tabs were split, not merged back
  expect(new Set(await Promise.all(tabs.map(clusterOf))).size).toBe(2);

  // both clusters' certificates reached the Galaxy, side by side in one block's checkpoints
  const galaxy = network.galaxies[0]!.url;
  const head = ((await (await fetch(`${galaxy}/head`)).json()) as { height: number }).height;
  const perBlock: number[][] = [];
  for (let h = 1; h <= head; h++) {
    const block = (await (await fetch(`${galaxy}/block/${h}`)).json()) as { body: { checkpoints: Array<{ cluster: number }> } };
    perBlock.push(block.body.checkpoints.map((c) => c.cluster).sort());
  }
  expect(new Set(perBlock.flat())).toEqual(new Set([0, 1]));
  expect(perBlock.some((c) => c.join() === '0,1'), 'a block carries a checkpoint of each cluster').toBe(true);
});
