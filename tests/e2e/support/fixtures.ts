/**
 * The Playwright `test` of this project: every test gets its own real relay process and a
 * way to open Stars, and both are cleaned up after it, whatever the outcome.
 */
import { test as base } from '@playwright/test';
import { startRelay, type RelayProcess } from './relay-process.ts';
import { openStar, type StarTab } from './stars.ts';

export interface StarOpener {
  /** opens `n` Stars on the wallet page (with test hooks) */
  many(n: number): Promise<StarTab[]>;
  /** opens one Star at `path` (relative to the relay, default the wallet with `?debug`) */
  one(path?: string): Promise<StarTab>;
}

export const test = base.extend<{ relay: RelayProcess; stars: StarOpener }>({
  relay: async ({}, use) => {
    const relay = await startRelay();
    await use(relay);
    await relay.stop();
  },
  stars: async ({ browser, relay }, use) => {
    const opened: StarTab[] = [];
    const one = async (path?: string) => {
      const tab = await openStar(browser, relay.url, opened.length, path);
      opened.push(tab);
      return tab;
    };
    const many = async (n: number) => {
      const tabs: StarTab[] = [];
      for (let i = 0; i < n; i++) tabs.push(await one());
      return tabs;
    };
    await use({ one, many });
    await Promise.all(opened.map((t) => t.context.close()));
  },
});

export { expect } from '@playwright/test';
