/**
 * `npm run simulate`: runs the checkpoint agreement core (ACS: reliable broadcast + binary
 * agreement, `shared/consensus/`) in the in-process network simulator — simulated
 * latency, loss and byzantine facilitators, no real network — and prints, per facilitator
 * count and faulty behaviour, whether every run agreed and finished, the agreed set size,
 * simulated latency and messages per facilitator.
 *
 *   npm run simulate -- --n 4,7,10 --faulty silent,equivocate --seeds 50 --loss 0.1
 *
 * The f = ⌊(n−1)/3⌋ highest-numbered facilitators behave as `--faulty` says. The Galaxy
 * and Stars are not simulated yet (issue 4).
 */
import { parseArgs } from 'node:util';
import { percentile } from '../bench/stats.ts';
import { range, simulateAcs, type Behaviour } from '../shared/consensus/simulator.ts';
import { maxFaulty } from '../shared/consensus/types.ts';

const BEHAVIOURS: Behaviour[] = ['honest', 'silent', 'equivocate', 'delay'];

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '4,7' },
    faulty: { type: 'string', default: BEHAVIOURS.join(',') },
    seeds: { type: 'string', default: '20' },
    loss: { type: 'string', default: '0.1' },
    'latency-ms': { type: 'string', default: '5-50' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('npm run simulate -- [--n 4,7] [--faulty honest,silent,equivocate,delay] [--seeds 20] [--loss 0.1] [--latency-ms 5-50]');
  process.exit(0);
}

const fail = (message: string): never => {
  console.error(`${message}\nRun with --help to see the options.`);
  process.exit(2);
};
const sizes = values.n.split(',').map(Number);
if (!sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 64)) fail(`--n ${values.n}: give facilitator counts from 1 to 64, e.g. 4,7`);
const behaviours = values.faulty.split(',') as Behaviour[];
if (!behaviours.every((b) => BEHAVIOURS.includes(b))) fail(`--faulty ${values.faulty}: use ${BEHAVIOURS.join(', ')}`);
const seeds = Number(values.seeds);
const loss = Number(values.loss);
const latency = values['latency-ms'].split('-').map(Number) as [number, number];
if (!Number.isInteger(seeds) || seeds < 1) fail(`--seeds ${values.seeds}: a whole number ≥ 1`);
if (!(loss >= 0 && loss < 1)) fail(`--loss ${values.loss}: a probability from 0 to below 1`);
if (latency.length !== 2 || !latency.every((x) => Number.isFinite(x) && x >= 0) || latency[0] > latency[1]) fail(`--latency-ms ${values['latency-ms']}: a range like 5-50`);

const rows = [];
for (const n of sizes) {
  for (const behaviour of behaviours) {
    const f = maxFaulty(n);
    const behaviourOf = range(n).map((i): Behaviour => (i >= n - f ? behaviour : 'honest'));
    let agreed = 0;
    let finished = 0;
    const times: number[] = [];
    const setSizes: number[] = [];
    let sent = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = simulateAcs({ n, seed, behaviours: behaviourOf, loss, latency });
      const outs = r.honest.map((i) => r.outputs[i]);
      if (r.allHonestOutput) finished++;
      const first = JSON.stringify(outs[0]?.map((c) => [c.proposer, Array.from(c.value)]));
      if (outs.every((o) => JSON.stringify(o?.map((c) => [c.proposer, Array.from(c.value)])) === first)) agreed++;
      times.push(Math.max(...r.honest.map((i) => r.outputAt[i] ?? r.time)));
      setSizes.push(outs[0]?.length ?? 0);
      sent += r.sent;
    }
    rows.push({
      n,
      f,
      faulty: behaviour,
      runs: seeds,
      agreed: `${agreed}/${seeds}`,
      finished: `${finished}/${seeds}`,
      set_size_avg: Math.round((setSizes.reduce((a, b) => a + b, 0) / seeds) * 100) / 100,
      p50_ms: Math.round(percentile(times, 50)),
      p99_ms: Math.round(percentile(times, 99)),
      msgs_per_node: Math.round(sent / seeds / n),
    });
  }
}
console.table(rows);
if (rows.some((r) => r.agreed !== `${r.runs}/${r.runs}` || r.finished !== `${r.runs}/${r.runs}`)) process.exit(1);
