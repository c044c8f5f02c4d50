/**
 * The browser's storage quota, as the storage shards see it: ask once to keep this origin's
 * data persistent (so the browser does not evict shards under pressure), report its
 * estimate in StorageStats.quota, and recognise a full disk when IndexedDB refuses a write.
 */
import { StarError } from '../shared/errors.ts';

export interface QuotaInfo {
  usage: number;
  quota: number;
  persisted: boolean;
}

export interface QuotaSource {
  /** navigator.storage.persist(): true when the browser granted persistent storage */
  persist(): Promise<boolean>;
  /** navigator.storage.estimate() and persisted(); undefined where the browser gives none */
  estimate(): Promise<QuotaInfo | undefined>;
}

/** navigator.storage where it exists (workers have it in current browsers); a no-op elsewhere */
export function browserQuota(): QuotaSource {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  return {
    async persist() {
      try {
        return typeof storage?.persist === 'function' ? await storage.persist() : false;
      } catch {
        return false;
      }
    },
    async estimate() {
      try {
        if (typeof storage?.estimate !== 'function') return undefined;
        const e = await storage.estimate();
        const persisted = typeof storage.persisted === 'function' ? await storage.persisted() : false;
        return { usage: e.usage ?? 0, quota: e.quota ?? 0, persisted };
      } catch {
        return undefined;
      }
    },
  };
}

/** IndexedDB (through idb) rejects with the transaction's error: a DOMException named QuotaExceededError when the origin is out of room */
export function isQuotaError(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  // Firefox once named it NS_ERROR_DOM_QUOTA_REACHED
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

/** what a client operation fails with when this Star could not save its own copy */
export function quotaExceeded(): StarError {
  return new StarError(
    'QUOTA_EXCEEDED',
    "This browser has no room left for this site's data, so this Star could not save the write (copies may still reach other Stars, but do not count on it). Free space, then write it again: delete values you no longer need (star.delete), clear other sites' data in the browser's settings, or allow this site to keep persistent storage.",
  );
}

/** any other IndexedDB failure of a client operation's own write */
export function storeFailed(err: unknown): StarError {
  const why = (err as { message?: unknown } | null)?.message;
  return new StarError('MALFORMED', `This browser refused to save the value (${typeof why === 'string' && why ? why : String(err)}). Reload the page and retry.`);
}
