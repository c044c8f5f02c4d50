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

type Pick = (t: RoundTiming) => number | undefined;

/** the steps, in round order, and when a seat passed each */
const STEPS: Array<[string, Pick]> = [
  ['block reaches the seats', (t) => t.arrived],
  ['seats have the block', (t) => t.opened],
  ['proposed', (t) => t.proposed],
  ['n−f delivered', (t) => t.delivered],
  ['n−f agreed 1', (t) => t.ones],
  ['ACS decided', (t) => t.decided],
  ['certified', (t) => t.certified],
];
/** per round, last seat − first seat at these steps: a slow seat holds the whole ACS back */
const SPREADS: Array<[string, Pick]> = [
  ['have the block', (t) => t.opened],
  ['proposed', (t) => t.proposed],
  ['ACS decided', (t) => t.decided],
];

/** Steps of a round, ms after the block that opened it: per round the seats' median, then p50/p90 over rounds. */
export async function printRoundSteps(label: string, tabs: readonly StarTab[], blocks: readonly BlackholeBlockInfo[]): Promise<void> {
  const timings = (await Promise.all(tabs.map((t) => t.page.evaluate(async () => (await window.starweave.connect()).debug!.roundTimes())))).flat();
  const byRound = new Map<number, RoundTiming[]>();
  for (const t of timings) {
    const list = byRound.get(t.round);
    if (list) list.push(t);
    else byRound.set(t.round, [t]);
  }
  const timeOf = new Map(blocks.map((b) => [b.height, b.time]));
  const steps = new Map<string, number[]>([...STEPS.map(([name]): [string, number[]] => [name, []]), ['next block', []]]);
  const spreads = new Map<string, number[]>(SPREADS.map(([name]) => [name, []]));
  const proposedBlocks: number[] = [];
  for (const b of blocks) {
    const next = timeOf.get(b.height + 1);
    const seats = byRound.get(b.height + 1) ?? [];
    if (next === undefined || seats.length === 0) continue;
    const values = (pick: Pick) => seats.flatMap((t) => pick(t) ?? []);
    for (const [name, pick] of STEPS) {
      const v = values(pick);
      if (v.length > 0) steps.get(name)!.push(percentile(v, 50) - b.time);
    }
    steps.get('next block')!.push(next - b.time);
    for (const [name, pick] of SPREADS) {
      const v = values(pick);
      if (v.length > 1) spreads.get(name)!.push(Math.max(...v) - Math.min(...v));
    }
    proposedBlocks.push(...values((t) => t.blocks));
  }
  // what a round carried: its checkpoint's size, and what the Galaxy made final from it
  const withCheckpoint = blocks.filter((b) => b.checkpoints > 0);
  const row = ([step, ms]: [string, number[]]) => `${step} ${Math.round(percentile(ms, 50))}/${Math.round(percentile(ms, 90))}`;
  console.error(
    `${label}: round steps, ms after the block that opened the round (p50/p90 over ${steps.get('next block')!.length} rounds of the seats' median): ` +
      `${[...steps].map(row).join('; ')}; half-blocks per proposal p50 ${percentile(proposedBlocks, 50)}, ` +
      `per checkpoint p50 ${percentile(withCheckpoint.map((b) => b.entries), 50)}, made final per block p50 ${percentile(withCheckpoint.map((b) => b.accepted), 50)}; ` +
      `last seat − first seat: ${[...spreads].map(row).join('; ')}`,
  );
}
