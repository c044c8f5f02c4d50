/**
 * Account helpers for Playwright tests: call the embed API of a tab's Star and get its
 * result or its StarError code back (Playwright would otherwise flatten the error).
 */
import { expect } from '@playwright/test';
import type { Balance, Transfer } from '../../../shared/api.ts';
import type { StarTab } from './stars.ts';

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

declare global {
  interface Window {
    __transfers: Transfer[];
    __frauds: string[];
  }
}

/** Calls `star[method](...args)` in the tab; errors come back as `{ ok: false, code }`. */
export function attempt<T>(tab: StarTab, method: string, ...args: unknown[]): Promise<Outcome<T>> {
  return tab.page.evaluate(
    async ([m, a]) => {
      const star = (await window.starweave.connect()) as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>;
      try {
        return { ok: true as const, value: (await star[m]!(...a)) as never };
      } catch (err) {
        const e = err as { code?: string; message?: string };
        return { ok: false as const, code: e.code ?? 'UNKNOWN', message: e.message ?? String(err) };
      }
    },
    [method, args] as const,
  ) as Promise<Outcome<T>>;
}

/** Like `attempt`, but a failure fails the test with the Star's own message. */
export async function call<T>(tab: StarTab, method: string, ...args: unknown[]): Promise<T> {
  const r = await attempt<T>(tab, method, ...args);
  if (!r.ok) throw new Error(`star ${tab.index}: ${method}() failed with ${r.code}: ${r.message}`);
  return r.value;
}

export function addressOf(tab: StarTab): Promise<string> {
  return tab.page.evaluate(async () => (await window.starweave.connect()).address);
}

export async function available(tab: StarTab, address?: string): Promise<number> {
  return (await call<Balance>(tab, 'balance', ...(address ? [address] : []))).available;
}

/** Asks the faucet and waits until this tab has countersigned the payout. */
export async function fund(tab: StarTab): Promise<number> {
  const before = await available(tab);
  const { amount } = await call<{ amount: number }>(tab, 'requestFaucet');
  await expect.poll(() => available(tab), { timeout: 20_000, message: `star ${tab.index} should countersign the faucet payout` }).toBe(before + amount);
  return amount;
}

/** Records `transfer` and `fraud` events into `window.__transfers` / `window.__frauds`. */
export async function recordEvents(tab: StarTab): Promise<void> {
  await tab.page.evaluate(async () => {
    window.__transfers = [];
    window.__frauds = [];
    const star = await window.starweave.connect();
    star.on('transfer', (t) => window.__transfers.push(t));
    star.on('fraud', (f) => window.__frauds.push(f.address));
  });
}

export function statusIn(tab: StarTab, id: string): Promise<string> {
  return attempt<string>(tab, 'transferStatus', id).then((r) => (r.ok ? r.value : r.code));
}
