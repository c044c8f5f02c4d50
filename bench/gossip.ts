/**
 * Gossip benchmark: N tabs (each its own browser context) on a real relay; messages are
 * published from random tabs at a steady rate; every receipt is timed from the publisher's
 * `sentAt` (set in its worker before publishing; all tabs share this machine's clock).
 */
import { chromium, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/support/chromium.ts';
import { descendantsPssMb } from '../tests/e2e/support/process-memory.ts';
import { startRelay } from '../tests/e2e/support/relay-process.ts';
import { directCount, openStars, publish, record, waitMesh, type StarTab } from '../tests/e2e/support/stars.ts';
import { percentile } from './stats.ts';

export interface GossipResult {
  tabs: number;
  messages: number;
  delivered_ratio: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mem_mb_per_tab: number | null;
  js_heap_mb_per_tab: number;
  direct_peers_per_tab: number;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function benchGossip(opts: { tabs: number; messages: number; intervalMs: number }): Promise<GossipResult> {
  const relay = await startRelay({ env: { LOG_LEVEL: 'warn' } });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const tabs = await openStars(browser, relay.url, opts.tabs);
    for (const tab of tabs) await until(`star ${tab.index} to have 2 direct peers`, async () => (await directCount(tab)) >= 2, 60_000);
    const topic = 'bench';
    for (const tab of tabs) await record(tab, topic);
    // gossipsub knows the subscriptions of connected peers only; in a partial mesh readiness
    // means every tab has a mesh of its own on the topic
    await waitMesh(tabs, topic, undefined, 60_000);

    // measure the steady state: wait (bounded) until the direct connections stop changing,
    // so connection set-up is not counted as gossip latency
    let last = '';
    let stableSince = Date.now();
    await until(
      'direct connections to settle',
      async () => {
        const now = (await Promise.all(tabs.map((t) => directCount(t)))).join(',');
        if (now !== last) [last, stableSince] = [now, Date.now()];
        return Date.now() - stableSince >= 5_000;
      },
      60_000,
    ).catch(() => undefined);

    const sent: string[] = [];
    for (let i = 0; i < opts.messages; i++) {
      const from = tabs[Math.floor(Math.random() * tabs.length)]!;
      const text = `bench ${i} from ${from.index}`;
      sent.push(text);
      await publish(from, topic, text);
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
    const expected = opts.messages * (opts.tabs - 1);
    const receipts = () => Promise.all(tabs.map((t) => t.page.evaluate(() => window.__received.length)));
    // bounded wait for stragglers; whatever has not arrived by then counts as lost
    await until('all deliveries', async () => (await receipts()).reduce((a, b) => a + b, 0) >= expected, 10_000).catch(() => undefined);

    const latencies: number[] = [];
    let delivered = 0;
    for (const tab of tabs) {
      const got = await tab.page.evaluate(() => window.__received.map((m) => ({ text: String(m.data), ms: m.receivedAt - m.sentAt })));
      const unique = new Map(got.filter((m) => sent.includes(m.text)).map((m) => [m.text, m.ms]));
      delivered += unique.size;
      latencies.push(...unique.values());
    }
    const heaps = await Promise.all(tabs.map((t) => jsHeapMb(t)));
    const directs = await Promise.all(tabs.map((t) => directCount(t)));
    const pss = descendantsPssMb();
    return {
      tabs: opts.tabs,
      messages: opts.messages,
      delivered_ratio: Number((delivered / expected).toFixed(4)),
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      max_ms: Math.max(...latencies),
      // the relay is a descendant too; subtract nothing: it is part of what a tab costs here
      mem_mb_per_tab: pss === null ? null : Number((pss / opts.tabs).toFixed(1)),
      js_heap_mb_per_tab: Number((heaps.reduce((a, b) => a + b, 0) / tabs.length).toFixed(1)),
      direct_peers_per_tab: Number((directs.reduce((a, b) => a + b, 0) / tabs.length).toFixed(1)),
    };
  } finally {
    await browser?.close();
    await relay.stop();
  }
}

async function jsHeapMb(tab: StarTab): Promise<number> {
  const cdp = await tab.context.newCDPSession(tab.page);
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1024 / 1024;
}
