/**
 * `starweave.connect()`: starts this page's Star, or returns the one already running in the
 * page (the wallet and an embedded `/star.js` share one Star through a global slot).
 */
import type { ConnectOptions } from '../../shared/api.ts';
import { relayBaseUrl } from '../../shared/net/relay-address.ts';
import { Star } from './star.ts';

const SLOT = '__starweaveStar';
type Slot = { [SLOT]?: Promise<Star> };

/** The relay (and worker script) base: the given option, else where `/star.js` came from, else the page. */
function defaultBase(): string {
  const script = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;
  return relayBaseUrl(script?.src || location.href);
}

const loadedFrom = defaultBase();

export function connect(opts: ConnectOptions = {}): Promise<Star> {
  const slot = globalThis as Slot;
  const existing = slot[SLOT];
  if (existing) return existing;
  const relay = opts.relay ?? loadedFrom;
  const release = (): void => {
    if (slot[SLOT] === started) delete slot[SLOT];
  };
  const started = Star.start({ ...opts, relay, workerUrl: new URL('/star-worker.js', loadedFrom).href, onClosed: release });
  slot[SLOT] = started;
  started.catch(release);
  return started;
}

export type { Star };
