/**
 * Throughput benchmark: sustained FINALISED transfers per second across N real tabs (each
 * its own browser context) on a real relay and Galaxy.
 *
 * Load: every tab is funded by the faucet (the relay pays a large amount here, so no tab
 * runs dry by the random walk of its balance before its receipts are agreed), and once the
 * payouts are final every tab keeps `window` transfers of 1 in flight, each to a random
 * other tab: a transfer leaves the window when its sender sees it `final` (the same
 * `transfer` event as bench/finality.ts) or `rejected`, and the next one is sent at once
 * (those missing together, concurrently: see startDriver).
 * The load is closed-loop, so the senders never outrun the network: what becomes final per
 * second is what the network sustains with that many transfers in flight (by Little's law,
 * in flight / latency), not a queue building up. The tabs drive themselves; the harness
 * only reads.
 *
 * Window: transfers become final in bursts, one per Blackhole block that carries their
 * checkpoint (on this machine such blocks come every 5–25 s, often with empty blocks in
 * between), and the first burst ends a ramp of a whole latency. A fixed span of wall clock
 * would hold one burst more or less by chance, so the window runs from burst to burst:
 *   - each `final` event is tagged with the sender tab's final Blackhole height, asked of
 *     its worker the moment the event arrives: the block that made the transfer final;
 *   - h0 is the lowest such height (the burst that ends the ramp);
 *   - the load goes on until at least `seconds` have passed since the harness saw the first
 *     final transfer and MIN_BURSTS more bursts have come; then the Galaxy's head is read
 *     and the tabs are told to stop, so every block up to that head was made under load;
 *   - h1 is the last burst at or below that head;
 *   - counted are the transfers final at heights in (h0, h1], and
 *     transfers_per_s = counted / (time of h1 − time of h0), block times being the Galaxy's.
 * Each counted burst is paired with the interval that led up to it, so for evenly spaced
 * bursts the rate is exact. `seconds` in the result is that span. After the stop, what is
 * still in flight gets TAIL_MS to settle: it counts in `finalised`, not in the rate.
 * Latency (p50/p99) is of the counted transfers, from just before `star.transfer()` to the
 * `final` event, both in the sender's tab.
 *
 * Ceiling: raw WebCrypto Ed25519 verifications per second in one tab's worker, same run,
 * measured before the load (the tabs and the network idle) with bench/verify.ts's hook
 * (worker/verify-bench.ts, best of three rounds). Every Star takes in every account chain,
 * so each finalised transfer costs every tab at least two signature verifications (its two
 * half-blocks, proposal and agreement), before the round traffic that makes it final (seat
 * envelopes, the checkpoint's re-checked blocks, the Blackhole block's Galaxy signatures).
 * These tabs can therefore never finalise more than ceiling / 2 transfers per second, even
 * with a core each: ceiling_ratio = transfers_per_s / ceiling_verify_per_s is bounded by
 * 0.5, and the distance from it is the cost of everything else.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/support/chromium.ts';
import { startNetwork } from '../tests/e2e/support/network-process.ts';
import { openStars, type StarTab } from '../tests/e2e/support/stars.ts';
import { addressOf, call, fund } from '../tests/e2e/support/accounts.ts';
import { chainFixture, type ChainFixture } from './chain-fixture.ts';
import { blackholeBlocks, galaxyHead, roundStats, until } from './finality.ts';
import { printRoundSteps } from './round-steps.ts';
import { percentile } from './stats.ts';

export interface ThroughputOptions {
  tabs: number;
  /** load after the ramp, at least; seconds */
  seconds: number;
  /** transfers in flight per tab */
  window: number;
}

export interface ThroughputResult {
  tabs: number;
  window: number;
  transfers_per_s: number;
  ceiling_verify_per_s: number;
  ceiling_ratio: number;
  /** the measured span: from burst h0 to burst h1, seconds */
  seconds: number;
  /** bursts counted: blocks in (h0, h1] that made bench transfers final */
  bursts: number;
  /** every transfer() that returned an id, ramp and tail included */
  submitted: number;
  /** of those, final by the end of the tail */
  finalised: number;
  /** the transfers counted in the rate */
  counted: number;
  /** transfer() threw, or the transfer came back `rejected` (REJECTED) */
  failed_transfers: number;
  failures: Record<string, number>;
  /** neither final nor rejected when the tail's deadline passed */
  unfinalised: number;
  /** the counted transfers' submit → final latency */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** from the load's start to the first final transfer */
  ramp_s: number;
  /** Blackhole blocks in (h0, h1], how many carried a checkpoint, their interval (bursts are those with bench transfers) */
  blocks: number;
  blocks_with_checkpoint: number;
  block_interval_p50_ms: number;
  /** console errors and warnings in the tabs (their texts go to stderr) */
  console_errors: number;
  console_warnings: number;
}

/** What a tab's driver records; times are Date.now() in the tab (the machine's one clock). */
interface TabRecord {
  sent: Record<string, number>;
  finalAt: Record<string, number>;
  /** the tab's final Blackhole height when the `final` event came: the block that did it */
  finalHeight: Record<string, number>;
  rejectedAt: Record<string, number>;
  /** transfer() errors by StarError code */
  failures: Record<string, number>;
  /** the driver sends nothing from this time on (the harness moves it to stop the load) */
  stopAt: number;
}

declare global {
  interface Window {
    __throughput: TabRecord;
  }
}

/** blocks for the ceiling: a stable rate (bench/verify.ts uses 20,000) without minutes of signing in Node */
const CEILING_ACCOUNTS = 100;
const CEILING_PER_ACCOUNT = 40;
/** the first transfer must be final by then */
const RAMP_MS = 180_000;
/** bursts after h0, at least, so the rate spans more than one interval */
const MIN_BURSTS = 2;
/** how long they may take beyond `seconds` */
const BURSTS_MS = 180_000;
const TAIL_MS = 60_000;

/**
 * Starts the tab's own closed-loop sender: `inFlight` transfers outstanding until its
 * `stopAt`. What is missing is submitted at once, concurrently, as a busy dApp would: the
 * worker sends such a burst of its blocks as one gossip message (worker/chain-service.ts).
 * A failed transfer() pauses refills until the next tick (every 250 ms), so a failing tab
 * tries again later instead of spinning.
 */
function startDriver(page: Page, targets: string[], inFlight: number, stopAt: number): Promise<void> {
  return page.evaluate(
    async ({ targets, inFlight, stopAt }) => {
      const star = await window.starweave.connect();
      const rec: TabRecord = { sent: {}, finalAt: {}, finalHeight: {}, rejectedAt: {}, failures: {}, stopAt };
      window.__throughput = rec;
      const open = new Set<string>();
      let submitting = 0;
      let pausedUntil = 0;
      const refill = (): void => {
        while (open.size + submitting < inFlight && Date.now() < rec.stopAt && Date.now() >= pausedUntil) {
          const at = Date.now();
          submitting++;
          star.transfer(targets[Math.floor(Math.random() * targets.length)]!, 1, 'bench').then(
            ({ id }) => {
              submitting--;
              rec.sent[id] = at;
              open.add(id);
            },
            (err: unknown) => {
              submitting--;
              const code = (err as { code?: string }).code ?? 'UNKNOWN';
              rec.failures[code] = (rec.failures[code] ?? 0) + 1;
              pausedUntil = Date.now() + 250;
            },
          );
        }
      };
      star.on('transfer', (t) => {
        if (!open.has(t.id)) return;
        if (t.status === 'final') {
          rec.finalAt[t.id] = Date.now();
          void star.debug!.finality().then((f) => (rec.finalHeight[t.id] = f.finalHeight));
        } else if (t.status === 'rejected') rec.rejectedAt[t.id] = Date.now();
        else return;
        open.delete(t.id);
        refill();
      });
      const tick = setInterval(() => (Date.now() < rec.stopAt ? refill() : clearInterval(tick)), 250);
      refill();
    },
    { targets, inFlight, stopAt },
  );
}

const record = (tab: StarTab): Promise<TabRecord> => tab.page.evaluate(() => window.__throughput);

interface Counts {
  final: number;
  unsettled: number;
  /** the heights that made transfers final (the bursts so far) */
  bursts: number[];
}

/** Counted in the tab, so polling a busy tab moves a few numbers, not every id. */
async function counts(tabs: StarTab[]): Promise<Counts> {
  const each = await Promise.all(
    tabs.map((tab) =>
      tab.page.evaluate(() => {
        const r = window.__throughput;
        const ids = Object.keys(r.sent);
        return {
          final: Object.keys(r.finalAt).length,
          unsettled: ids.filter((id) => r.finalAt[id] === undefined && r.rejectedAt[id] === undefined).length,
          bursts: [...new Set(Object.values(r.finalHeight))],
        };
      }),
    ),
  );
  const bursts = [...new Set(each.flatMap((c) => c.bursts))].sort((a, b) => a - b);
  return { final: each.reduce((n, c) => n + c.final, 0), unsettled: each.reduce((n, c) => n + c.unsettled, 0), bursts };
}

/** Raw Ed25519 verifications per second in this tab's worker (the bench/verify.ts hook). */
async function verifyCeiling(tab: StarTab, fixture: ChainFixture): Promise<number> {
  const b64 = fixture.blocks.map((b) => Buffer.from(b).toString('base64'));
  const r = await tab.page.evaluate(
    async ({ genesis, blocks }) => {
      const decode = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      return (await window.starweave.connect()).debug!.verifyBench(genesis, blocks.map(decode), 256);
    },
    { genesis: fixture.genesis, blocks: b64 },
  );
  return r.raw_verify_per_s;
}

/** Counts the tabs' console errors and warnings and keeps each distinct text's count. */
function watchConsoles(tabs: StarTab[]): { errors: number; warnings: number; texts: Map<string, number> } {
  const seen = { errors: 0, warnings: 0, texts: new Map<string, number>() };
  for (const tab of tabs) {
    tab.page.on('console', (msg) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return;
      if (msg.type() === 'error') seen.errors++;
      else seen.warnings++;
      // ids and numbers differ per message; the shape is what repeats
      const text = `${msg.type()}: ${msg.text().slice(0, 160).replace(/[0-9a-f]{16,}/g, '…').replace(/\d+/g, 'N')}`;
      seen.texts.set(text, (seen.texts.get(text) ?? 0) + 1);
    });
  }
  return seen;
}

export async function benchThroughput(opts: ThroughputOptions): Promise<ThroughputResult> {
  // signed in Node before anything else runs, so the signing does not compete with the tabs
  const fixture = chainFixture(CEILING_ACCOUNTS, CEILING_PER_ACCOUNT);
  const network = await startNetwork({ galaxies: 1, env: { LOG_LEVEL: 'warn', FAUCET_AMOUNT: '1000000' } });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    // each step can stall on a loaded machine: say which one is running
    console.error(`throughput: opening ${opts.tabs} tabs`);
    const tabs = await openStars(browser, network.relay.url, opts.tabs);
    const consoles = watchConsoles(tabs);
    const addresses = await Promise.all(tabs.map(addressOf));
    console.error('throughput: funding every tab');
    for (const tab of tabs) await fund(tab);
    await until('the faucet payouts to be final', async () => {
      const b = await Promise.all(tabs.map((t) => call<{ final: number }>(t, 'balance')));
      return b.every((x) => x.final > 0);
    }, 120_000);
    console.error('throughput: measuring the verification ceiling in tab 0');
    const ceiling = await verifyCeiling(tabs[0]!, fixture);
    console.error(`throughput: ceiling ${ceiling} verifications/s; starting the load`);

    const galaxyUrl = network.galaxies[0]!.url;
    const start = Date.now();
    // a backstop only: the harness stops the load itself
    const hardStop = start + RAMP_MS + opts.seconds * 1000 + BURSTS_MS;
    await Promise.all(tabs.map((tab, i) => startDriver(tab.page, addresses.filter((_, j) => j !== i), opts.window, hardStop)));
    let lastReport = Date.now();
    const report = async (): Promise<void> => {
      if (Date.now() - lastReport < 5_000) return;
      lastReport = Date.now();
      // a loaded tab may take seconds to answer: the time is when we asked
      const c = await counts(tabs);
      console.error(`throughput: ${Math.round((lastReport - start) / 1000)} s, ${c.final} final, ${c.unsettled} in flight`);
    };

    // a ramp or a Galaxy that never delivers is a result (no rate), not a crash
    const logged = (err: Error) => console.error(`throughput: ${err.message}`);
    const ramped = await until('the first transfer to be final', async () => {
      await report();
      return (await counts(tabs)).final > 0;
    }, RAMP_MS).then(
      () => true,
      (err: Error) => (logged(err), false),
    );
    if (ramped) {
      const rampSeen = Date.now();
      await until(`${opts.seconds} s of load and ${MIN_BURSTS} bursts after the first`, async () => {
        await report();
        return Date.now() - rampSeen >= opts.seconds * 1000 && (await counts(tabs)).bursts.length > MIN_BURSTS;
      }, opts.seconds * 1000 + BURSTS_MS).catch(logged);
    }
    const head = await galaxyHead(galaxyUrl);
    await Promise.all(tabs.map((tab) => tab.page.evaluate(() => (window.__throughput.stopAt = 0))));

    await until('the transfers in flight to settle', async () => (await counts(tabs)).unsettled === 0, TAIL_MS).catch(logged);
    const records = await Promise.all(tabs.map(record));
    const bursts = (await counts(tabs)).bursts.filter((h) => h <= head);
    const h0 = bursts[0] ?? head;
    const h1 = bursts[bursts.length - 1] ?? head;
    const blocks = h1 > h0 ? await blackholeBlocks(galaxyUrl, h0, h1) : [];
    const spanMs = blocks.length > 1 ? blocks[blocks.length - 1]!.time - blocks[0]!.time : 0;
    const result = summarise(records, opts, { start, h0, h1, spanMs, ceiling });
    if (blocks.length > 1) await printRoundSteps('throughput', tabs, blocks);
    for (const [text, n] of [...consoles.texts].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.error(`throughput: tab console ×${n} ${text}`);
    const rounds = h1 > h0 ? await roundStats(galaxyUrl, h0 + 1, h1) : { blocks: 0, blocks_with_checkpoint: 0, block_interval_p50_ms: NaN };
    return { ...result, bursts: Math.max(0, bursts.length - 1), ...rounds, console_errors: consoles.errors, console_warnings: consoles.warnings };
  } finally {
    await browser?.close();
    await network.stop();
  }
}

function summarise(
  records: TabRecord[],
  opts: ThroughputOptions,
  w: { start: number; h0: number; h1: number; spanMs: number; ceiling: number },
): Omit<ThroughputResult, 'bursts' | 'blocks' | 'blocks_with_checkpoint' | 'block_interval_p50_ms' | 'console_errors' | 'console_warnings'> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let submitted = 0;
  let finalised = 0;
  let rejected = 0;
  let firstFinal = Infinity;
  for (const r of records) {
    submitted += Object.keys(r.sent).length;
    rejected += Object.keys(r.rejectedAt).length;
    for (const [code, n] of Object.entries(r.failures)) failures[code] = (failures[code] ?? 0) + n;
    for (const [id, at] of Object.entries(r.finalAt)) {
      finalised++;
      firstFinal = Math.min(firstFinal, at);
      const h = r.finalHeight[id];
      if (h !== undefined && h > w.h0 && h <= w.h1) latencies.push(at - r.sent[id]!);
    }
  }
  if (rejected > 0) failures.REJECTED = rejected;
  // one burst or none: no interval to divide by
  const rate = w.spanMs > 0 ? latencies.length / (w.spanMs / 1000) : NaN;
  return {
    tabs: opts.tabs,
    window: opts.window,
    transfers_per_s: Number(rate.toFixed(1)),
    ceiling_verify_per_s: w.ceiling,
    ceiling_ratio: Number((rate / w.ceiling).toFixed(4)),
    seconds: Number((w.spanMs / 1000).toFixed(1)),
    submitted,
    finalised,
    counted: latencies.length,
    failed_transfers: Object.values(failures).reduce((a, b) => a + b, 0),
    failures,
    unfinalised: submitted - finalised - rejected,
    p50_ms: Math.round(percentile(latencies, 50)),
    p99_ms: Math.round(percentile(latencies, 99)),
    max_ms: Math.round(percentile(latencies, 100)),
    ramp_s: finalised > 0 ? Number(((firstFinal - w.start) / 1000).toFixed(1)) : NaN,
  };
}
