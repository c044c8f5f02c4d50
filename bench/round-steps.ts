/**
 * Where a round's time goes, from the seats' own records (`debug.roundTimes()`) and the
 * Galaxy's block times: every tab and the Galaxy share this machine's clock, so each step
 * is timed from the Blackhole block that opened the round. Printed by the finality and
 * throughput benchmarks so a change can be aimed at the step that dominates.
 */
import type { RoundTiming } from '../shared/finality/star-finality.ts';
import type { StarTab } from '../tests/e2e/support/stars.ts';
import type { BlackholeBlockInfo } from './finality.ts';
import { percentile } from './stats.ts';

/** Steps of a round, ms after the block that opened it: per round the seats' median, then p50/p90 over rounds. */
export async function printRoundSteps(label: string, tabs: readonly StarTab[], blocks: readonly BlackholeBlockInfo[]): Promise<void> {
  const timings = (await Promise.all(tabs.map((t) => t.page.evaluate(async () => (await window.starweave.connect()).debug!.roundTimes())))).flat();
  const timeOf = new Map(blocks.map((b) => [b.height, b.time]));
  const steps: Record<string, number[]> = { 'block reaches the seats': [], 'seats have the block': [], proposed: [], 'n−f delivered': [], 'n−f agreed 1': [], 'ACS decided': [], certified: [], 'next block': [] };
  /** per round, last seat − first seat: a slow seat holds the whole ACS back */
  const spread: Record<string, number[]> = { 'have the block': [], proposed: [], 'ACS decided': [] };
  const proposedBlocks: number[] = [];
  for (const b of blocks) {
    const round = b.height + 1;
    const next = timeOf.get(round);
    const seats = timings.filter((t) => t.round === round);
    if (next === undefined || seats.length === 0) continue;
    const median = (pick: (t: RoundTiming) => number | undefined): number | undefined => {
      const v = seats.flatMap((t) => (pick(t) === undefined ? [] : [pick(t)! - b.time]));
      return v.length === 0 ? undefined : percentile(v, 50);
    };
    const add = (step: string, v: number | undefined) => v !== undefined && steps[step]!.push(v);
    add('block reaches the seats', median((t) => t.arrived));
    add('seats have the block', median((t) => t.opened));
    add('proposed', median((t) => t.proposed));
    add('n−f delivered', median((t) => t.delivered));
    add('n−f agreed 1', median((t) => t.ones));
    add('ACS decided', median((t) => t.decided));
    add('certified', median((t) => t.certified));
    add('next block', next - b.time);
    const gap = (pick: (t: RoundTiming) => number | undefined): number | undefined => {
      const v = seats.flatMap((t) => (pick(t) === undefined ? [] : [pick(t)!]));
      return v.length < 2 ? undefined : Math.max(...v) - Math.min(...v);
    };
    for (const [k, pick] of [['have the block', (t: RoundTiming) => t.opened], ['proposed', (t: RoundTiming) => t.proposed], ['ACS decided', (t: RoundTiming) => t.decided]] as const) {
      const g = gap(pick);
      if (g !== undefined) spread[k]!.push(g);
    }
    proposedBlocks.push(...seats.flatMap((t) => (t.blocks === undefined ? [] : [t.blocks])));
  }
  const row = ([step, ms]: [string, number[]]) => `${step} ${Math.round(percentile(ms, 50))}/${Math.round(percentile(ms, 90))}`;
  console.error(
    `${label}: round steps, ms after the block that opened the round (p50/p90 over ${steps['next block']!.length} rounds of the seats' median): ` +
      `${Object.entries(steps).map(row).join('; ')}; half-blocks per proposal p50 ${percentile(proposedBlocks, 50)}; ` +
      `last seat − first seat: ${Object.entries(spread).map(row).join('; ')}`,
  );
}
