/**
 * `npm run bench`: runs the benchmarks, prints a table per benchmark and merges the numbers
 * into bench/results.json. Options: --only <name>, --tabs <n>, --messages <n>.
 */
import { parseArgs } from 'node:util';
import { benchGossip } from './gossip.ts';
import { RESULTS_FILE, writeSection } from './stats.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    tabs: { type: 'string', default: '16' },
    messages: { type: 'string', default: '320' },
    'interval-ms': { type: 'string', default: '25' },
  },
});

const goals: Record<string, string> = { delivered_ratio: '= 1.0', p99_ms: '≤ 500' };

if (!values.only || values.only === 'gossip') {
  console.log(`gossip: ${values.tabs} tabs, ${values.messages} messages…`);
  const gossip = await benchGossip({ tabs: Number(values.tabs), messages: Number(values.messages), intervalMs: Number(values['interval-ms']) });
  writeSection('gossip', gossip);
  console.table(Object.entries(gossip).map(([metric, value]) => ({ metric, value, goal: goals[metric] ?? '' })));
}

console.log(`results written to ${RESULTS_FILE}`);
