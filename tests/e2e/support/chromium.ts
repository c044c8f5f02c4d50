/**
 * Debian's Chromium (installed by scripts/setup.sh): Playwright's own browser download cannot
 * work on this network. The flags stop Chromium from calling home, which the closed network
 * refuses, and make it run as root in a container.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  // tabs of a test run in the background; they must not be throttled
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];
