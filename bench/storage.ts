/**
 * Storage benchmark: N tabs (each its own browser context) on a real relay, storing into
 * each other's IndexedDB over real WebRTC.
 *
 *  - ceiling: one tab's raw batched IndexedDB write rate (100 puts per transaction, records
 *    of the same size), measured in the same run, before the Stars are busy;
 *  - latency: one tab puts keys one at a time (nothing else running): put p50/p99; then
 *    reads them back one at a time from another tab: get p50;
 *  - throughput: every tab puts at once, `parallel` in flight each: quorum puts per second
 *    across the network (each acknowledged by W = 2 replicas), and their latency under load.
 */
import { chromium, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/support/chromium.ts';
import { startRelay } from '../tests/e2e/support/relay-process.ts';
import { openStars, type StarTab } from '../tests/e2e/support/stars.ts';
import { addressOf } from '../tests/e2e/support/accounts.ts';
import { percentile } from './stats.ts';

export interface StorageResult {
  tabs: number;
  put_p50_ms: number;
  put_p99_ms: number;
  get_p50_ms: number;
  puts_per_s: number;
  raw_idb_puts_per_s: number;
  /** puts_per_s / raw_idb_puts_per_s */
  idb_ratio: number;
  loaded_put_p50_ms: number;
  loaded_put_p99_ms: number;
  /** sequential reads that did not get R answers in time */
  failed_gets: number;
  /** puts that were not acknowledged by W replicas in time (under load) */
  failed_puts: number;
  value_bytes: number;
}

const VALUE_BYTES = 100;

/** One tab's raw IndexedDB write rate: `count` records, `batch` per transaction. */
function rawIdbRate(tab: StarTab, count: number, batch: number): Promise<number> {
  return tab.page.evaluate(
    async ([n, b, size]) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(`bench-raw-${Date.now()}`, 1);
        req.onupgradeneeded = () => req.result.createObjectStore('kv');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const value = new Uint8Array(size).fill(7);
      const start = performance.now();
      for (let i = 0; i < n; i += b) {
        await new Promise<void>((resolve, reject) => {
          const tx = db.transaction('kv', 'readwrite');
          const store = tx.objectStore('kv');
          for (let k = i; k < Math.min(n, i + b); k++) store.put({ value, k }, `key-${k}`);
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
      }
      const seconds = (performance.now() - start) / 1000;
      db.close();
      return n / seconds;
    },
    [count, batch, VALUE_BYTES] as const,
  );
}

/** Puts `count` keys under `prefix`, `parallel` in flight; returns each acknowledged put's latency, the failures and the wall time. */
function putMany(tab: StarTab, prefix: string, count: number, parallel: number): Promise<{ latencies: number[]; failed: string[]; ms: number }> {
  return tab.page.evaluate(
    async ([p, n, par, size]) => {
      const star = await window.starweave.connect();
      const value = new Uint8Array(size).fill(1);
      const latencies: number[] = [];
      const failed: string[] = [];
      let next = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: par }, async () => {
          while (next < n) {
            const i = next++;
            const t = performance.now();
            try {
              await star.put(`${p}/${i}`, value);
              latencies.push(performance.now() - t);
            } catch (err) {
              failed.push((err as { code?: string }).code ?? String(err));
            }
          }
        }),
      );
      return { latencies, failed, ms: performance.now() - start };
    },
    [prefix, count, parallel, VALUE_BYTES] as const,
  );
}

function getMany(tab: StarTab, owner: string, prefix: string, count: number): Promise<{ latencies: number[]; failed: string[] }> {
  return tab.page.evaluate(
    async ([o, p, n]) => {
      const star = await window.starweave.connect();
      const latencies: number[] = [];
      const failed: string[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        try {
          const got = await star.get(`${p}/${i}`, o);
          latencies.push(performance.now() - t);
          if (got.versions.length !== 1) failed.push(`${p}/${i}: ${got.versions.length} versions`);
        } catch (err) {
          failed.push(`${p}/${i}: ${(err as { code?: string }).code ?? String(err)} after ${Math.round(performance.now() - t)} ms`);
        }
      }
      return { latencies, failed };
    },
    [owner, prefix, count] as const,
  );
}

/** Waits until every tab's ring holds all `n` Stars (presence gossip has settled). */
async function ringsComplete(tabs: StarTab[], n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const tab of tabs) {
    while ((await tab.page.evaluate(async () => (await window.starweave.connect()).debug!.storageMembers())).length < n) {
      if (Date.now() > deadline) throw new Error(`star ${tab.index} never saw all ${n} Stars in its storage ring`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function benchStorage(opts: { tabs: number; sequential: number; perTab: number; parallel: number }): Promise<StorageResult> {
  const relay = await startRelay();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const tabs = await openStars(browser, relay.url, opts.tabs);
    await ringsComplete(tabs, opts.tabs);
    const raw = await rawIdbRate(tabs[0]!, 10_000, 100);

    const writer = tabs[0]!;
    const sequential = await putMany(writer, 'seq', opts.sequential, 1);
    if (sequential.failed.length > 0) throw new Error(`${sequential.failed.length} of ${opts.sequential} sequential puts failed: ${sequential.failed.slice(0, 3).join(', ')}`);
    const reads = await getMany(tabs[1]!, await addressOf(writer), 'seq', opts.sequential);
    if (reads.failed.length > 0) console.error(`storage: ${reads.failed.length} reads failed, e.g. ${reads.failed.slice(0, 5).join('; ')}`);

    const loaded = await Promise.all(tabs.map((t) => putMany(t, `load-${t.index}`, opts.perTab, opts.parallel)));
    const wall = Math.max(...loaded.map((l) => l.ms));
    const puts = loaded.reduce((n, l) => n + l.latencies.length, 0);
    const sort = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const seq = sort(sequential.latencies);
    console.error(`storage: sequential put p50 ${percentile(seq, 50).toFixed(1)} ms, p99 ${percentile(seq, 99).toFixed(1)} ms; raw IndexedDB ${Math.round(raw)} puts/s`);
    const failures = loaded.flatMap((l) => l.failed);
    // which errors the failed puts got (NO_PEERS: too few replicas answered in time)
    if (failures.length > 0) console.error(`storage: failed puts by code: ${JSON.stringify(countBy(failures))}`);
    const under = sort(loaded.flatMap((l) => l.latencies));
    const putsPerS = puts / (wall / 1000);
    return {
      tabs: opts.tabs,
      put_p50_ms: Number(percentile(seq, 50).toFixed(1)),
      put_p99_ms: Number(percentile(seq, 99).toFixed(1)),
      get_p50_ms: Number(percentile(sort(reads.latencies), 50).toFixed(1)),
      failed_gets: reads.failed.length,
      puts_per_s: Math.round(putsPerS),
      raw_idb_puts_per_s: Math.round(raw),
      idb_ratio: Number((putsPerS / raw).toFixed(3)),
      loaded_put_p50_ms: Number(percentile(under, 50).toFixed(1)),
      loaded_put_p99_ms: Number(percentile(under, 99).toFixed(1)),
      failed_puts: failures.length,
      value_bytes: VALUE_BYTES,
    };
  } finally {
    await browser?.close();
    await relay.stop();
  }
}

function countBy(codes: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of codes) out[c] = (out[c] ?? 0) + 1;
  return out;
}
