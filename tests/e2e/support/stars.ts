/**
 * Opens Stars for tests: each in its own browser context (its own storage, its own Star),
 * driven through the public embed API (`starweave.connect()` on the wallet page).
 */
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { GossipMessage, StarStatus } from '../../../shared/api.ts';
import { gossipOptions } from '../../../shared/gossip/gossip-config.ts';

export interface StarTab {
  index: number;
  context: BrowserContext;
  page: Page;
  peerId: string;
  /** the page's console (the worker's too), newest last, kept for a failed test's report */
  console: string[];
}

/**
 * `STAR_DEBUG=<namespaces>` turns on libp2p's debug logs in every tab (the `debug` key its
 * logger reads), e.g. `STAR_DEBUG='libp2p:*:error,libp2p:circuit-relay:*'`; they land in
 * the captured console (a failed test's `star-<i>.log`, a benchmark's `--logs`).
 */
const STAR_DEBUG = process.env.STAR_DEBUG;
/** console lines kept per page: enough for the last minutes of a busy Star (more with debug logs on) */
const CONSOLE_LINES = STAR_DEBUG ? 200_000 : 3_000;

declare global {
  interface Window {
    starweave: { connect: (opts?: unknown) => Promise<import('../../../web/star/star.ts').Star> };
    __received: GossipMessage[];
  }
}

async function openPage(context: BrowserContext, relayUrl: string, index: number, query: string): Promise<StarTab> {
  const page = await context.newPage();
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(`${new Date().toISOString()} ${line}`);
    if (lines.length > CONSOLE_LINES) lines.splice(0, lines.length - CONSOLE_LINES);
  };
  if (STAR_DEBUG) await context.addInitScript((ns) => localStorage.setItem('debug', ns), STAR_DEBUG);
  page.on('console', (m) => keep(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (err) => {
    keep(`page error: ${err.message}`);
    console.error(`[star ${index}] page error: ${err.message}`);
  });
  await page.goto(new URL(query, relayUrl + '/').href);
  const peerId = await page.evaluate(async () => (await window.starweave.connect()).peerId);
  return { index, context, page, peerId, console: lines };
}

export async function openStar(browser: Browser, relayUrl: string, index: number, query = '?debug'): Promise<StarTab> {
  return openPage(await browser.newContext(), relayUrl, index, query);
}

/** A new page in the same browser context (same IndexedDB, same account) after the old one closed. */
export function reopenStar(tab: StarTab, relayUrl: string, query = '?debug'): Promise<StarTab> {
  return openPage(tab.context, relayUrl, tab.index, query);
}

export async function openStars(browser: Browser, relayUrl: string, n: number): Promise<StarTab[]> {
  const tabs: StarTab[] = [];
  for (let i = 0; i < n; i++) tabs.push(await openStar(browser, relayUrl, i));
  return tabs;
}

/**
 * Waits until every tab is reachable (its relay holds a reservation for it, so other Stars
 * can open streams to it and its presence names a circuit address); returns, per tab, how
 * long that took from the call. A benchmark starts timing only once this holds, so a tab
 * that is still joining is not measured as a slow receiver.
 */
export async function waitReachable(tabs: readonly StarTab[], timeoutMs: number): Promise<number[]> {
  const start = Date.now();
  return Promise.all(
    tabs.map(async (tab) => {
      await expect.poll(async () => (await status(tab)).relayInfo.reachable, { timeout: timeoutMs, intervals: [250], message: `star ${tab.index} should become reachable through the relay` }).toBe(true);
      return Date.now() - start;
    }),
  );
}

export function status(tab: StarTab): Promise<StarStatus> {
  return tab.page.evaluate(async () => (await window.starweave.connect()).status());
}

export async function directCount(tab: StarTab): Promise<number> {
  return (await status(tab)).peers.filter((p) => p.direct).length;
}

/**
 * How long a tab may take to get its direct WebRTC peers: a dial that fails under load
 * gives up after 20 s (DIAL_TIMEOUT_MS in web/star/direct-dialer.ts), the other side dials
 * after its 10 s yield, and a retry follows a backoff; this covers one failed handshake per
 * pair and the retry, which 30 s did not (a CI run had one tab with 1 of 2 after 30 s).
 */
export const DIRECT_WAIT_MS = 75_000;

/** Waits until `tab` has `n` direct WebRTC peers (`atLeast`: n or more). */
export async function waitDirect(tab: StarTab, n: number, atLeast = false): Promise<void> {
  const poll = expect.poll(() => directCount(tab), { timeout: DIRECT_WAIT_MS, message: `star ${tab.index} needs ${atLeast ? '≥ ' : ''}${n} direct WebRTC peers` });
  await (atLeast ? poll.toBeGreaterThanOrEqual(n) : poll.toBe(n));
}

/** Starts recording every message on `topic` into `window.__received`. */
export async function record(tab: StarTab, topic: string): Promise<void> {
  await tab.page.evaluate(async (t) => {
    window.__received = [];
    const star = await window.starweave.connect();
    star.subscribe(t, (m) => window.__received.push(m));
  }, topic);
}

export function received(tab: StarTab): Promise<string[]> {
  return tab.page.evaluate(() => window.__received.map((m) => String(m.data)));
}

export function publish(tab: StarTab, topic: string, data: string): Promise<void> {
  return tab.page.evaluate(async ([t, d]) => (await window.starweave.connect()).publish(t, d), [topic, data] as const);
}

/** Waits until every tab knows every other tab as a subscriber of `topic`. */
export async function waitTopicPeers(tabs: StarTab[], topic: string, timeout = 30_000): Promise<void> {
  for (const tab of tabs) {
    const others = tabs.filter((t) => t !== tab).map((t) => t.peerId);
    await expect
      .poll(
        async () => {
          const known = await tab.page.evaluate(async (t) => (await window.starweave.connect()).debug!.topicPeers(t), topic);
          return others.filter((p) => !known.includes(p));
        },
        { timeout, message: `star ${tab.index} should see every other Star subscribed to ${topic}` },
      )
      .toEqual([]);
  }
}

/**
 * The mesh size gossipsub keeps a Star at or above: it grafts only when a mesh falls below
 * Dlo, so a mesh of Dlo is a steady state even though it aims for D when it forms.
 */
export const MESH_FLOOR = gossipOptions('star').Dlo!;

/** Waits until every tab has at least `min` (by default MESH_FLOOR) peers in its gossip mesh for `topic`. */
export async function waitMesh(tabs: StarTab[], topic: string, min = MESH_FLOOR, timeout = 30_000): Promise<void> {
  for (const tab of tabs) {
    await expect
      .poll(() => tab.page.evaluate(async (t) => (await window.starweave.connect()).debug!.meshPeers(t).length, topic), {
        timeout,
        message: `star ${tab.index} should have ${min} gossip mesh peers on ${topic}`,
      })
      .toBeGreaterThanOrEqual(min);
  }
}
