/**
 * Chain ingestion benchmarks in a real tab.
 *
 * verify: half-blocks taken in per second by the worker's pipeline (decode, hash, batched
 *   WebCrypto verification, ledger rules) against raw WebCrypto Ed25519 verifications of
 *   the same signatures in the same worker and run: `ratio` is the share of the ceiling.
 * ingest: a producer tab gossips half-blocks at a fixed rate (default 2,000/s) to a
 *   consumer tab over real libp2p; the consumer's main thread records long tasks
 *   (PerformanceObserver 'longtask'): the goal is none over 50 ms.
 */
import { chromium, type Browser } from '@playwright/test';
import { encodeChainMessage } from '../shared/chain/chain-message.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/support/chromium.ts';
import { startRelay } from '../tests/e2e/support/relay-process.ts';
import { directCount, openStar } from '../tests/e2e/support/stars.ts';
import { chainFixture } from './chain-fixture.ts';

export interface VerifyResult {
  blocks: number;
  blocks_per_s: number;
  stored_blocks_per_s: number;
  raw_verify_per_s: number;
  ratio: number;
}

export interface IngestResult {
  target_blocks_per_s: number;
  blocks: number;
  offered_blocks_per_s: number;
  achieved_blocks_per_s: number;
  stored: number;
  long_tasks_over_50ms: number;
  longest_task_ms: number;
}

declare global {
  interface Window {
    __longTasks: number[];
  }
}

const ACCOUNTS = 100;
const TICK_MS = 10;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function benchVerify(opts: { blocks: number; rate: number; seconds: number }): Promise<{ verify: VerifyResult; ingest: IngestResult }> {
  const ingestBlocks = opts.rate * opts.seconds;
  const fixture = chainFixture(ACCOUNTS, Math.ceil(Math.max(opts.blocks, ingestBlocks) / ACCOUNTS));
  const relay = await startRelay({ env: { LOG_LEVEL: 'warn' }, genesis: fixture.genesis });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const consumer = await openStar(browser, relay.url, 0);

    const raw = await consumer.page.evaluate(
      async ({ genesis, blocks }) => {
        const decode = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
        return (await window.starweave.connect()).debug!.verifyBench(genesis, blocks.map(decode), 256);
      },
      { genesis: fixture.genesis, blocks: fixture.blocks.slice(0, opts.blocks).map(b64) },
    );
    const verify = { blocks: raw.blocks, blocks_per_s: raw.blocks_per_s, stored_blocks_per_s: raw.stored_blocks_per_s, raw_verify_per_s: raw.raw_verify_per_s, ratio: raw.ratio };

    // ingest over gossip: the producer sends TICK_MS-sized slices of the fixture
    const producer = await openStar(browser, relay.url, 1);
    await until('a direct connection between the tabs', async () => (await directCount(consumer)) >= 1, 60_000);
    const perMessage = Math.max(1, Math.round((opts.rate * TICK_MS) / 1000));
    const messages: string[] = [];
    for (let i = 0; i < ingestBlocks; i += perMessage) {
      messages.push(b64(encodeChainMessage({ t: 'blocks', blocks: fixture.blocks.slice(i, i + perMessage), more: false, proofs: [] })));
    }
    const size = () => consumer.page.evaluate(async () => (await window.starweave.connect()).debug!.chainSize());
    const base = await size();
    // warm-up: the first message proves the path before the clock starts
    await producer.page.evaluate(async (m) => (await window.starweave.connect()).debug!.publishChain([Uint8Array.from(atob(m), (c) => c.charCodeAt(0))]), messages[0]!);
    await until('the consumer to accept the first blocks', async () => (await size()) >= base + perMessage, 30_000);

    await consumer.page.evaluate(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    const started = Date.now();
    const sendMs = await producer.page.evaluate(
      async ({ list, tick }) => {
        const star = await window.starweave.connect();
        const bytes = list.map((m) => Uint8Array.from(atob(m), (c) => c.charCodeAt(0)));
        const t0 = performance.now();
        for (let i = 0; i < bytes.length; i++) {
          const wait = t0 + i * tick - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await star.debug!.publishChain([bytes[i]!]);
        }
        return performance.now() - t0;
      },
      { list: messages.slice(1), tick: TICK_MS },
    );
    // long tasks while the blocks stream in, read before the harness polls this tab (a
    // Playwright evaluate is itself a main-thread task and must not be counted)
    const longTasks = await consumer.page.evaluate(() => window.__longTasks);
    const target = base + ingestBlocks;
    await until('the consumer to take in every block', async () => (await size()) >= target, 120_000).catch(() => undefined);
    const elapsed = (Date.now() - started) / 1000;
    const stored = (await size()) - base;
    const ingest = {
      target_blocks_per_s: opts.rate,
      blocks: ingestBlocks,
      // what the producer tab really managed to send (its own main thread is busy too)
      offered_blocks_per_s: Math.round((ingestBlocks - perMessage) / (sendMs / 1000)),
      achieved_blocks_per_s: Math.round((stored - perMessage) / elapsed),
      stored,
      long_tasks_over_50ms: longTasks.filter((d) => d > 50).length,
      longest_task_ms: Math.round(Math.max(0, ...longTasks)),
    };
    return { verify, ingest };
  } finally {
    await browser?.close();
    await relay.stop();
  }
}
