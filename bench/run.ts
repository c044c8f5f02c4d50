/**
 * `npm run bench`: runs the benchmarks, prints a table per benchmark and merges the numbers
 * into bench/results.json. Options: --only gossip|verify|finality|throughput|storage, --tabs <n>,
 * --messages <n>, --blocks <n>, --ingest-rate <blocks/s>, --ingest-seconds <s>, --transfers <n>,
 * --transfer-interval-ms <ms>, --galaxies <n>, --round-timeout-ms <ms> (the Galaxies'),
 * --logs <dir> (finality: every tab's console, written there after the run),
 * --throughput-tabs <n>, --throughput-seconds <s> (load after the ramp, at least),
 * --throughput-window <transfers in flight per tab>,
 * --storage-tabs <n>, --puts-per-tab <n>, --put-parallel <n>.
 */
import { parseArgs } from 'node:util';
import { benchFinality } from './finality.ts';
import { benchGossip } from './gossip.ts';
import { RESULTS_FILE, writeSection } from './stats.ts';
import { benchStorage } from './storage.ts';
import { benchThroughput } from './throughput.ts';
import { benchVerify } from './verify.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    tabs: { type: 'string', default: '16' },
    messages: { type: 'string', default: '320' },
    'interval-ms': { type: 'string', default: '25' },
    blocks: { type: 'string', default: '20000' },
    'ingest-rate': { type: 'string', default: '2000' },
    'ingest-seconds': { type: 'string', default: '5' },
    transfers: { type: 'string', default: '60' },
    'transfer-interval-ms': { type: 'string', default: '300' },
    galaxies: { type: 'string', default: '1' },
    'round-timeout-ms': { type: 'string' },
    logs: { type: 'string' },
    'throughput-tabs': { type: 'string', default: '8' },
    'throughput-seconds': { type: 'string', default: '20' },
    'throughput-window': { type: 'string', default: '32' },
    'storage-tabs': { type: 'string', default: '8' },
    'puts-per-tab': { type: 'string', default: '1000' },
    'put-parallel': { type: 'string', default: '64' },
  },
});

const goals: Record<string, string> = { delivered_ratio: '= 1.0', p99_ms: '≤ 500', ratio: '≥ 0.8', long_tasks_over_50ms: '= 0' };
const storageGoals: Record<string, string> = { put_p50_ms: '≤ 20', puts_per_s: '≥ 3000', failed_puts: '= 0', failed_gets: '= 0' };
const finalityGoals: Record<string, string> = { p50_ms: '≤ 1000', p99_ms: '≤ 2500', finalised_ratio: '= 1.0' };
const throughputGoals: Record<string, string> = { transfers_per_s: '≥ 1000', failed_transfers: '= 0' };

function table(section: object, sectionGoals: Record<string, string> = goals): void {
  console.table(Object.entries(section).map(([metric, value]) => ({ metric, value, goal: sectionGoals[metric] ?? '' })));
}

if (!values.only || values.only === 'verify') {
  console.log(`verify: ${values.blocks} half-blocks in one tab's worker; ingest: ${values['ingest-rate']}/s for ${values['ingest-seconds']} s over gossip…`);
  const { verify, ingest } = await benchVerify({ blocks: Number(values.blocks), rate: Number(values['ingest-rate']), seconds: Number(values['ingest-seconds']) });
  writeSection('verify', verify);
  writeSection('ingest', ingest);
  table(verify);
  table(ingest);
}

if (!values.only || values.only === 'gossip') {
  console.log(`gossip: ${values.tabs} tabs, ${values.messages} messages…`);
  const gossip = await benchGossip({ tabs: Number(values.tabs), messages: Number(values.messages), intervalMs: Number(values['interval-ms']) });
  writeSection('gossip', gossip);
  table(gossip);
}

if (!values.only || values.only === 'finality') {
  console.log(`finality: ${values.tabs} tabs, ${values.transfers} transfers, ${values.galaxies} Galaxy…`);
  const finality = await benchFinality({
    tabs: Number(values.tabs),
    transfers: Number(values.transfers),
    intervalMs: Number(values['transfer-interval-ms']),
    galaxies: Number(values.galaxies),
    ...(values['round-timeout-ms'] ? { roundTimeoutMs: Number(values['round-timeout-ms']) } : {}),
    ...(values.logs ? { logsDir: values.logs } : {}),
  });
  writeSection('finality', finality);
  table(finality, finalityGoals);
}

if (!values.only || values.only === 'throughput') {
  const opts = {
    tabs: Number(values['throughput-tabs']),
    seconds: Number(values['throughput-seconds']),
    window: Number(values['throughput-window']),
  };
  console.log(`throughput: ${opts.tabs} tabs, ${opts.window} transfers in flight each, ${opts.seconds} s of load after the first is final…`);
  const throughput = await benchThroughput(opts);
  writeSection('throughput', throughput);
  table(throughput, throughputGoals);
}

if (!values.only || values.only === 'storage') {
  console.log(`storage: ${values['storage-tabs']} tabs, ${values['puts-per-tab']} puts each, ${values['put-parallel']} in flight…`);
  const storage = await benchStorage({ tabs: Number(values['storage-tabs']), sequential: 200, perTab: Number(values['puts-per-tab']), parallel: Number(values['put-parallel']) });
  writeSection('storage', storage);
  table(storage, storageGoals);
}

console.log(`results written to ${RESULTS_FILE}`);
