/**
 * The Playwright `test` of this project: every test gets its own real relay process and a
 * way to open Stars, and both are cleaned up after it, whatever the outcome.
 *
 * `test.use({ galaxies: n })` runs the relay with n real Galaxy processes (finality on);
 * the `network` fixture then gives the Galaxies (kill, restart, their URLs). The default, 0,
 * is a relay alone, as before finality existed.
 */
import { writeFileSync } from 'node:fs';
import { test as base } from '@playwright/test';
import { startNetwork, type NetworkProcess } from './network-process.ts';
import { startRelay, type RelayProcess } from './relay-process.ts';
import { openStar, type StarTab } from './stars.ts';

export interface StarOpener {
  /** opens `n` Stars on the wallet page (with test hooks) */
  many(n: number): Promise<StarTab[]>;
  /** opens one Star at `path` (relative to the relay, default the wallet with `?debug`) */
  one(path?: string): Promise<StarTab>;
}

interface Fixtures {
  /** Galaxy processes started with the relay (0: none, no finality) */
  galaxies: number;
  /** Blackhole round timeout of those Galaxies (their default when undefined) */
  roundTimeoutMs: number | undefined;
  /** environment for every process of the network, e.g. the Galaxies' GALAXY_SPLIT_ABOVE */
  networkEnv: Record<string, string> | undefined;
  /** environment for the relay alone (no Galaxies), e.g. RELAY_MAX_RESERVATIONS */
  relayEnv: Record<string, string> | undefined;
  relay: RelayProcess;
  network: NetworkProcess;
  stars: StarOpener;
  /** the network the relay fixture started, if it started one */
  networkHolder: { current?: NetworkProcess };
}

export const test = base.extend<Fixtures>({
  galaxies: [0, { option: true }],
  roundTimeoutMs: [undefined, { option: true }],
  networkEnv: [undefined, { option: true }],
  relayEnv: [undefined, { option: true }],
  networkHolder: async ({}, use) => {
    await use({});
  },
  relay: async ({ galaxies, roundTimeoutMs, networkEnv, relayEnv, networkHolder }, use, testInfo) => {
    if (galaxies === 0) {
      const relay = await startRelay(relayEnv ? { env: relayEnv } : {});
      await use(relay);
      await relay.stop();
      return;
    }
    const network = await startNetwork({ galaxies, roundTimeoutMs, ...(networkEnv ? { env: networkEnv } : {}) });
    networkHolder.current = network;
    await use(network.relay);
    // a failed test keeps every process's log beside its report
    if (testInfo.status !== testInfo.expectedStatus) {
      writeFileSync(testInfo.outputPath('relay.log'), network.relay.logs());
      for (const g of network.galaxies) writeFileSync(testInfo.outputPath(`galaxy-${g.seat}.log`), g.logs());
    }
    await network.stop();
  },
  network: async ({ relay, networkHolder }, use) => {
    if (!networkHolder.current) throw new Error(`the relay at ${relay.url} runs without Galaxies: add test.use({ galaxies: n }) to get a network`);
    await use(networkHolder.current);
  },
  stars: async ({ browser, relay }, use, testInfo) => {
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
    // a failed test keeps each tab's console (the worker logs there) beside its report
    if (testInfo.status !== testInfo.expectedStatus) {
      opened.forEach((t, i) => writeFileSync(testInfo.outputPath(`star-${i}.log`), t.console.join('\n')));
    }
    await Promise.all(opened.map((t) => t.context.close()));
  },
});

export { expect } from '@playwright/test';
