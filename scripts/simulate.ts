/**
 * `npm run simulate`: the consensus cores in the in-process network simulator — simulated
 * latency, loss and byzantine parties, no real network.
 *
 * ACS mode (default): the checkpoint agreement core alone (reliable broadcast + binary
 * agreement, `shared/consensus/`), per facilitator count and faulty behaviour: whether every
 * run agreed and finished, the agreed set size, simulated latency and messages per node.
 *
 *   npm run simulate -- --n 4,7,10 --faulty silent,equivocate --seeds 50 --loss 0.1
 *
 * The f = ⌊(n−1)/3⌋ highest-numbered facilitators behave as `--faulty` says.
 *
 * Finality mode (`--finality`): Stars (StarFinality + ChainEngine each, making transfers),
 * Galaxies (GalaxyCore) and the gossip bus (`shared/finality/finality-simulator.ts`), per
 * faulty behaviour: rounds finished, the time between Blackhole blocks, submit → final
 * latency (proposal and agreement final at the sender), messages per Star per round,
 * and the safety check (no two certified checkpoints for a round, no two Blackhole blocks
 * at a height, no (pk, seq) with two final blocks, every Star's final set and balances
 * equal to the chain's).
 *
 *   npm run simulate -- --finality --stars 16 --galaxies 4 --rounds 20 --faulty silent,equivocate
 *
 * `--faulty-stars` Stars (default 1) and `--faulty-galaxies` Galaxies (default 1 with four
 * or more, else 0) behave as each row says. Exits non-zero on a safety violation or a stall.
 *
 * Storage mode (`--storage`): Stars running the storage shard core (StorageNode each,
 * `shared/storage/storage-simulator.ts`) under churn — over a minute a share `--churn` of
 * the Stars leave (half of them for good, the rest for 5–20 s) and as many new ones join —
 * while a driver puts `--keys` keys (two versions each on average, some concurrent
 * siblings and tombstones) and gets them; then a minute without churn, then a read of every
 * key. One row per seed: Stars at the start and end, leaves/gone/joins, acknowledged puts,
 * lost writes (an acknowledged version that the final read with R returns neither itself
 * nor anything superseding), keys under-replicated at the end of the churn phase (and the
 * peak during it) and after settling, keys held off their preference list, messages per
 * Star, and simulated put/get latency.
 *
 *   npm run simulate -- --storage --stars 200 --churn 0.33 --keys 200 --seeds 3 --loss 0.1 --latency-ms 5-50
 *
 * Scale mode (`--stars` without --finality or --storage, e.g. `--stars 1000` or
 * `--stars 100,300,1000`): the finality cores with clusters (`shared/finality/clusters.ts`)
 * for that many Stars and 4 Galaxies, each Star sending `--rate` transfers per second to
 * random others for `--seconds` (simulated), latency `--latency-ms` (default here 20-80),
 * and each Star a simulated CPU that spends `--cpu-ms` on every message it handles (default
 * 0.5 ms: a tab takes in about 1,600–2,000 half-blocks/s over gossip, `npm run bench`
 * ingest). The run goes on until every transfer is final. One row per Star count: clusters
 * (last block, and the most any block had), finalised transfers per second (all transfers
 * over the span from the first submit to the last final), submit → final latency,
 * messages and bytes each Star received per round, and how many transfers crossed
 * clusters. `--control` adds a row at the largest count with splitting switched off (one
 * cluster). The rows go to bench/results.json → "simulate". Exits non-zero on a safety
 * violation or a transfer that never became final.
 *
 *   npm run simulate -- --stars 100,300,1000 --rate 0.5 --seconds 20 --control
 *
 * Defaults in this mode: 200 Stars, churn 0.33, 200 keys, 3 seeds. Exits non-zero on a lost
 * write or when some key is not back on exactly its N = 3 replicas after settling.
 */
import { parseArgs } from 'node:util';
import { percentile, RESULTS_FILE, writeSection } from '../bench/stats.ts';
import { range, simulateAcs, type Behaviour } from '../shared/consensus/simulator.ts';
import { maxFaulty } from '../shared/consensus/types.ts';
import type { ClusterPolicy } from '../shared/finality/clusters.ts';
import { simulateFinality } from '../shared/finality/finality-simulator.ts';
import { simulateStorage } from '../shared/storage/storage-simulator.ts';

const BEHAVIOURS: Behaviour[] = ['honest', 'silent', 'equivocate', 'delay'];

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '4,7' },
    faulty: { type: 'string', default: BEHAVIOURS.join(',') },
    seeds: { type: 'string' },
    loss: { type: 'string', default: '0.1' },
    'latency-ms': { type: 'string', default: '5-50' },
    finality: { type: 'boolean', default: false },
    stars: { type: 'string', default: '16' },
    galaxies: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '20' },
    'faulty-stars': { type: 'string' },
    'faulty-galaxies': { type: 'string' },
    signatures: { type: 'string', default: 'fake' },
    'transfer-every-ms': { type: 'string', default: '150' },
    storage: { type: 'boolean', default: false },
    churn: { type: 'string', default: '0.33' },
    keys: { type: 'string', default: '200' },
    rate: { type: 'string', default: '0.5' },
    seconds: { type: 'string', default: '20' },
    'cpu-ms': { type: 'string', default: '0.5' },
    control: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('npm run simulate -- [--n 4,7] [--faulty honest,silent,equivocate,delay] [--seeds 20] [--loss 0.1] [--latency-ms 5-50]');
  console.log('npm run simulate -- --finality [--stars 16] [--galaxies 4] [--rounds 20] [--faulty honest,silent,equivocate,delay]');
  console.log('                    [--faulty-stars 1] [--faulty-galaxies 1] [--seeds 3] [--loss 0.1] [--latency-ms 5-50]');
  console.log('                    [--signatures fake|real] [--transfer-every-ms 150]');
  console.log('npm run simulate -- --storage [--stars 200] [--churn 0.33] [--keys 200] [--seeds 3] [--loss 0.1] [--latency-ms 5-50]');
  console.log('npm run simulate -- --stars 100,300,1000 [--rate 0.5] [--seconds 20] [--cpu-ms 0.5] [--latency-ms 20-80] [--loss 0] [--control]');
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
const given = (name: string): boolean => process.argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
const scale = given('stars') && !values.finality && !values.storage;
const seeds = Number(values.seeds ?? (values.finality || values.storage ? '3' : scale ? '1' : '20'));
const loss = Number(scale && !given('loss') ? '0' : values.loss);
const latency = (scale && !given('latency-ms') ? '20-80' : values['latency-ms']).split('-').map(Number) as [number, number];
if (!Number.isInteger(seeds) || seeds < 1) fail(`--seeds ${values.seeds}: a whole number ≥ 1`);
if (!(loss >= 0 && loss < 1)) fail(`--loss ${values.loss}: a probability from 0 to below 1`);
if (latency.length !== 2 || !latency.every((x) => Number.isFinite(x) && x >= 0) || latency[0] > latency[1]) fail(`--latency-ms ${values['latency-ms']}: a range like 5-50`);

if (values.finality) {
  runFinality();
  process.exit(0);
}

if (scale) {
  runScale();
  process.exit(0);
}

if (values.storage) {
  runStorage();
  process.exit(0);
}

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

/** Finality mode: one row per faulty behaviour, over `--seeds` runs each. */
function runFinality(): void {
  const whole = (name: string, text: string | undefined, min: number, max: number): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < min || v > max) fail(`--${name} ${text}: a whole number from ${min} to ${max}`);
    return v;
  };
  const stars = whole('stars', values.stars, 2, 256);
  const galaxyCount = whole('galaxies', values.galaxies, 1, 16);
  const rounds = whole('rounds', values.rounds, 1, 10_000);
  const faultyStars = whole('faulty-stars', values['faulty-stars'] ?? '1', 0, stars - 2);
  const faultyGalaxies = whole('faulty-galaxies', values['faulty-galaxies'] ?? (galaxyCount >= 4 ? '1' : '0'), 0, maxFaulty(galaxyCount));
  const transferEveryMs = whole('transfer-every-ms', values['transfer-every-ms'], 0, 60_000);
  const runs = seeds;
  if (values.signatures !== 'fake' && values.signatures !== 'real') fail(`--signatures ${values.signatures}: fake or real`);
  const signatures = values.signatures as 'fake' | 'real';
  const table = [];
  let bad = false;
  for (const behaviour of behaviours) {
    const starBehaviours = range(stars).map((i): Behaviour => (i < faultyStars ? behaviour : 'honest'));
    const galaxyBehaviours = range(galaxyCount).map((i): Behaviour => (i >= galaxyCount - faultyGalaxies ? behaviour : 'honest'));
    const latencies: number[] = [];
    const roundMs: number[] = [];
    let finished = 0;
    let minRounds = Infinity;
    let safe = 0;
    let sent = 0;
    let received = 0;
    let submitted = 0;
    let final = 0;
    const violations = new Set<string>();
    for (let seed = 1; seed <= runs; seed++) {
      const r = simulateFinality({ stars, galaxies: galaxyCount, seed, rounds, starBehaviours, galaxyBehaviours, loss, latency, signatures, transferEveryMs });
      if (!r.stalled) finished++;
      minRounds = Math.min(minRounds, r.rounds);
      if (r.safety.ok) safe++;
      for (const v of r.safety.violations) violations.add(v);
      latencies.push(...r.latencies);
      roundMs.push(...r.roundMs);
      sent += r.sentPerStarRound;
      received += r.receivedPerStarRound;
      submitted += r.transfers.submitted;
      final += r.transfers.final;
    }
    if (finished !== runs || safe !== runs) bad = true;
    table.push({
      faulty: behaviour,
      'stars/galaxies': `${stars}/${galaxyCount}`,
      'faulty s/g': behaviour === 'honest' ? '0/0' : `${faultyStars}/${faultyGalaxies}`,
      runs,
      finished: `${finished}/${runs}`,
      rounds_min: minRounds,
      safety: safe === runs ? 'ok' : `VIOLATED ${runs - safe}/${runs}`,
      round_p50_ms: Math.round(percentile(roundMs, 50)),
      'final/sent': `${final}/${submitted}`,
      p50_ms: Math.round(percentile(latencies, 50)),
      p99_ms: Math.round(percentile(latencies, 99)),
      sent_per_star_round: Math.round((sent / runs) * 10) / 10,
      recv_per_star_round: Math.round((received / runs) * 10) / 10,
    });
    for (const v of violations) console.error(`${behaviour}: ${v}`);
  }
  console.table(table);
  if (bad) process.exit(1);
}

/** Storage mode: one row per seed. */
function runStorage(): void {
  // --stars defaults to 16 for the finality mode; this mode's default is 200
  const stars = Number(given('stars') ? values.stars : '200');
  const keys = Number(values.keys);
  const churn = Number(values.churn);
  if (!Number.isInteger(stars) || stars < 4 || stars > 5_000) fail(`--stars ${values.stars}: a whole number from 4 to 5000`);
  if (!Number.isInteger(keys) || keys < 1 || keys > 100_000) fail(`--keys ${values.keys}: a whole number from 1 to 100000`);
  if (!(churn >= 0 && churn < 1)) fail(`--churn ${values.churn}: the share of Stars that leave, from 0 to below 1`);
  const table = [];
  let bad = false;
  for (let seed = 1; seed <= seeds; seed++) {
    const r = simulateStorage({ stars, seed, keys, churn, loss, latency });
    if (r.lostWrites > 0 || !r.converged) bad = true;
    table.push({
      seed,
      stars: `${r.stars.initial}→${r.stars.final}`,
      'left/gone/joined': `${r.stars.left}/${r.stars.gone}/${r.stars.joined}`,
      'acked/puts': `${r.puts.acked}/${r.puts.issued}`,
      lost: r.lostWrites,
      keys: r.keys,
      'under end(peak)→settled': `${r.underReplicatedBefore}(${r.underReplicatedPeak})→${r.underReplicatedAfter}`,
      over_settled: r.overReplicatedAfter,
      converged: r.converged ? 'yes' : 'NO',
      msgs_per_star: r.messagesPerStar,
      put_p50_ms: r.putLatency.p50,
      put_p99_ms: r.putLatency.p99,
      get_p50_ms: r.getLatency.p50,
      get_p99_ms: r.getLatency.p99,
    });
    for (const l of r.lost.slice(0, 5)) console.error(`seed ${seed}: lost ${l.digest.slice(0, 16)} of ${l.keyId}`);
  }
  console.table(table);
  if (bad) process.exit(1);
}

/** Scale mode: one row per Star count (and the one-cluster control), written to bench/results.json → "simulate". */
function runScale(): void {
  const counts = values.stars.split(',').map(Number);
  if (!counts.every((n) => Number.isInteger(n) && n >= 8 && n <= 5_000)) fail(`--stars ${values.stars}: Star counts from 8 to 5000, e.g. 100,300,1000`);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const cpuMs = Number(values['cpu-ms']);
  if (!(rate > 0 && rate <= 100)) fail(`--rate ${values.rate}: transfers per Star per second, above 0`);
  if (!(seconds > 0 && seconds <= 3_600)) fail(`--seconds ${values.seconds}: simulated seconds of transfers`);
  if (!(cpuMs >= 0 && cpuMs <= 100)) fail(`--cpu-ms ${values['cpu-ms']}: simulated CPU per message, in ms`);
  const runs: Array<{ stars: number; policy?: ClusterPolicy; label: string }> = counts.map((stars) => ({ stars, label: 'clusters' }));
  // one cluster: nothing splits (the merge threshold must stay a third of the split one)
  if (values.control) runs.push({ stars: Math.max(...counts), policy: { splitAbove: 1_000_000, mergeBelow: 1, splitAboveEntries: 1_000_000 }, label: 'one cluster (control)' });
  const rows: ScaleRow[] = [];
  let bad = false;
  for (const run of runs) {
    const started = Date.now();
    const fromMs = 3_000;
    const r = simulateFinality({
      stars: run.stars,
      galaxies: 4,
      seed: 1,
      rounds: 3,
      signatures: 'fake',
      latency,
      loss,
      transfersPerStarPerSecond: rate,
      transfersFromMs: fromMs,
      transfersUntilMs: fromMs + seconds * 1_000,
      settle: true,
      cpuMsPerMessage: cpuMs,
      idleProposeMs: 500,
      roundTimeoutMs: 3_000,
      emptyRosterMs: 500,
      clusterPolicy: run.policy,
      maxTimeMs: fromMs + seconds * 1_000 + 120_000,
    });
    if (!r.safety.ok || r.unfinal > 0 || r.stalled) bad = true;
    for (const v of r.safety.violations) console.error(`${run.stars} Stars: ${v}`);
    const span = (r.lastFinalAt ?? 0) - (r.firstSubmitAt ?? 0);
    rows.push({
      stars: run.stars,
      mode: run.label,
      clusters: r.clusters,
      max_clusters: r.maxClusters,
      transfers_per_s: span > 0 ? Math.round((r.transfers.final / span) * 1_000) : 0,
      offered_per_s: Math.round(rate * run.stars),
      final: r.transfers.final,
      unfinal: r.unfinal,
      p50_ms: Math.round(percentile(r.latencies, 50)),
      p99_ms: Math.round(percentile(r.latencies, 99)),
      round_p50_ms: Math.round(percentile(r.roundMs, 50)),
      msgs_per_star_round: Math.round(r.receivedPerStarRound * 10) / 10,
      kib_per_star_round: Math.round((r.bytesPerStarRound / 1024) * 10) / 10,
      cross_cluster: r.crossClusterFinal,
      moves: r.moves,
      safety: r.safety.ok ? 'ok' : 'VIOLATED',
      wall_s: Math.round((Date.now() - started) / 100) / 10,
    });
    console.table([rows[rows.length - 1]]);
  }
  console.table(rows);
  writeSection('simulate', rows);
  console.log(`rows written to ${RESULTS_FILE} → "simulate"`);
  if (bad) process.exit(1);
}

interface ScaleRow {
  stars: number;
  mode: string;
  clusters: number;
  max_clusters: number;
  transfers_per_s: number;
  offered_per_s: number;
  final: number;
  unfinal: number;
  p50_ms: number;
  p99_ms: number;
  round_p50_ms: number;
  msgs_per_star_round: number;
  kib_per_star_round: number;
  cross_cluster: number;
  moves: number;
  safety: string;
  wall_s: number;
}
